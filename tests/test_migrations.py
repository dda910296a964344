"""The migrations, run through the real ``flask db`` command on an empty database, build
exactly the schema the models describe, and undo it again."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import only_sqlite
from sqlalchemy.exc import IntegrityError

from casework import PROJECT_ROOT
from casework.extensions import db

MIGRATION_FILES = sorted((Path(PROJECT_ROOT) / "migrations" / "versions").glob("*.py"))


def _model_tables() -> set[str]:
    from casework import models  # noqa: F401  (registers every table on the metadata)

    return set(db.metadata.tables)


def _tables(url: str) -> set[str]:
    """The tables of the database, less the full-text index tables (not models)."""
    from casework.search import FTS_TABLE

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
    return {name for name in names if not FTS_TABLE.match(name)}


def _does_something(function: ast.FunctionDef) -> bool:
    """True unless the body is only a docstring and ``pass``."""
    return any(
        not isinstance(statement, ast.Pass)
        and not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in function.body
    )


@pytest.fixture
def flask_db(tmp_path, databases):
    """Run ``flask db ...`` as a separate process against a new, empty database."""
    database = databases.new()
    env = {
        **os.environ,
        "DATABASE_URL": databases.url(database),
        "SECRET_KEY": "migration-test-secret",
        "FLASK_APP": "app.py",
    }
    env.pop("FLASK_DEBUG", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "db", *args],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, (
            f"flask db {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    run.database = databases.url(database)
    yield run
    databases.drop(database)


def test_upgrade_check_downgrade_and_upgrade_again(flask_db):
    expected = _model_tables() | {"alembic_version"}

    flask_db("upgrade")
    assert _tables(flask_db.database) == expected

    # The migrations and the models agree: autogenerate finds nothing to add.
    checked = flask_db("check")
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr

    flask_db("downgrade", "base")
    assert _tables(flask_db.database) == {"alembic_version"}

    flask_db("upgrade")
    assert _tables(flask_db.database) == expected


def test_there_are_migrations():
    assert MIGRATION_FILES


@pytest.mark.parametrize("path", MIGRATION_FILES, ids=lambda path: path.name)
def test_every_migration_says_what_it_does_and_can_be_undone(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree) or ""
    title = docstring.strip().splitlines()[0] if docstring.strip() else ""
    assert title and title != "empty message", f"{path.name} needs a docstring saying what it does"

    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name in ("upgrade", "downgrade"):
        assert name in functions, f"{path.name} has no {name}()"
        assert _does_something(functions[name]), f"{name}() in {path.name} does nothing"


@only_sqlite
def test_sqlite_runs_with_foreign_keys_and_wal(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_the_database_refuses_a_comment_on_a_case_that_does_not_exist(app, make):
    author = make.specialist
    with app.app_context(), pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO comments (case_id, author_id, body, created_at) "
                    "VALUES (:case_id, :author_id, 'orphan', CURRENT_TIMESTAMP)"),
            {"case_id": 999_999, "author_id": author.id},
        )
