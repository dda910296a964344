"""The migrations, run through the real ``flask db`` command on an empty database, build
exactly the schema the models describe, and undo it again."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from conftest import only_sqlite
from sqlalchemy.exc import IntegrityError

from casework import PROJECT_ROOT, create_app
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


def _flask_db(url: str):
    """A function that runs ``flask db ...`` as a separate process against ``url``."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
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

    run.database = url
    return run


@pytest.fixture
def flask_db(tmp_path, databases):
    """Run ``flask db ...`` as a separate process against a new, empty database."""
    database = databases.new()
    yield _flask_db(databases.url(database))
    databases.drop(database)


def test_upgrade_check_downgrade_and_upgrade_again(flask_db):
    expected = _model_tables() | {"alembic_version"}

    flask_db("upgrade")
    assert _tables(flask_db.database) == expected

    _check(flask_db)

    flask_db("downgrade", "base")
    assert _tables(flask_db.database) == {"alembic_version"}

    flask_db("upgrade")
    assert _tables(flask_db.database) == expected


def _check(flask_db) -> None:
    """The migrations and the models agree: autogenerate finds nothing to add."""
    checked = flask_db("check")
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr


# Everything a migration builds, models or not (full-text tables, triggers, search
# configuration, functions): what ``flask db check`` cannot see.
SQLITE_SCHEMA = {
    "objects": "SELECT type, name, tbl_name, sql FROM sqlite_master "
               "WHERE name NOT LIKE 'sqlite_%'",
}
POSTGRESQL_SCHEMA = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default "
               "FROM information_schema.columns WHERE table_schema = current_schema()",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
               "WHERE schemaname = current_schema()",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                   "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace",
    "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                "FROM pg_trigger WHERE NOT tgisinternal",
    "functions": "SELECT proname, prosrc FROM pg_proc "
                 "WHERE pronamespace = current_schema()::regnamespace",
    "text search": "SELECT c.cfgname, m.maptokentype, m.mapseqno, d.dictname "
                   "FROM pg_ts_config_map m JOIN pg_ts_config c ON c.oid = m.mapcfg "
                   "JOIN pg_ts_dict d ON d.oid = m.mapdict "
                   "WHERE c.cfgnamespace = current_schema()::regnamespace",
    "extensions": "SELECT extname FROM pg_extension",
}


def _schema(url: str) -> dict[str, set[tuple]]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    queries = SQLITE_SCHEMA if engine.dialect.name == "sqlite" else POSTGRESQL_SCHEMA
    queries = {**queries, "version": "SELECT version_num FROM alembic_version"}
    with engine.connect() as connection:
        return {name: {_unordered(row) for row in connection.exec_driver_sql(sql)}
                for name, sql in queries.items()}


def _unordered(row) -> tuple:
    """The row, with a CREATE TABLE as the set of its lines: a batch rebuild of a table
    on SQLite writes its constraints in an order that changes from run to run."""
    return tuple(frozenset(line.strip().rstrip(",") for line in value.splitlines())
                 if isinstance(value, str) and value.startswith("CREATE TABLE") else value
                 for value in row)


def _assert_same_schema(url: str, expected: dict[str, set[tuple]]) -> None:
    actual = _schema(url)
    differences = {name: {"missing": expected[name] - actual[name],
                          "extra": actual[name] - expected[name]}
                   for name in expected if actual[name] != expected[name]}
    assert not differences


def _migration(number: str):
    """The module of migration file ``number`` ("0007"), loaded on its own."""
    [path] = [path for path in MIGRATION_FILES if path.name.startswith(f"{number}_")]
    spec = importlib.util.spec_from_file_location(f"migration_{number}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_upgrades(url: str, numbers) -> None:
    """Run the upgrade() of the migrations ``numbers``, in that order, outside Alembic's
    chain (alembic_version is left alone)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        for number in numbers:
            _migration(number).upgrade()


def test_the_chain_runs_in_the_numbered_order():
    scripts = ScriptDirectory(str(Path(PROJECT_ROOT) / "migrations"))
    base_to_head = reversed(list(scripts.walk_revisions("base", "heads")))
    assert [Path(script.path).name for script in base_to_head] == [
        path.name for path in MIGRATION_FILES]


# Until 0007 and 0008 were put in their numbered order the chain ran 0006 -> 0008 ->
# 0007 -> 0009, so a database may record a revision that meant other migrations then:
# which upgrade() functions ran after 0006, in what order, and the revision recorded.
INTERMEDIATE_STATES = {
    "old-0008": (("0008",), "0008_postgresql_full_text_search"),
    "old-0007": (("0008", "0007"), "0007_query_indexes"),
    "0007": (("0007",), "0007_query_indexes"),
    "0008": (("0007", "0008"), "0008_postgresql_full_text_search"),
}


def _migrate(url: str, command: str, revision: str | None = None) -> None:
    """``flask db COMMAND [REVISION]`` run in this process: quicker than the real command
    for building the databases the tests start from."""
    import flask_migrate

    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            function = getattr(flask_migrate, command)
            function(revision=revision) if revision else function()
        finally:
            db.engine.dispose()


@pytest.fixture(scope="module")
def at_0006(databases):
    """A database at 0006, the last revision both orders agree on, to copy."""
    database = databases.new()
    _migrate(databases.url(database), "upgrade", "0006_full_text_search")
    yield database
    databases.drop(database)


@pytest.fixture(scope="module")
def head_schema(databases):
    """The schema of a new database upgraded to head."""
    database = databases.new()
    _migrate(databases.url(database), "upgrade")
    yield _schema(databases.url(database))
    databases.drop(database)


@pytest.mark.parametrize("state", INTERMEDIATE_STATES)
def test_a_database_in_an_intermediate_state_upgrades_and_downgrades(
        state, databases, at_0006, head_schema):
    """A database at any revision between 0006 and head, including what the old order
    recorded, reaches exactly the schema of a new database at head, and goes down to
    base both from there and straight from its intermediate state."""
    upgrades, recorded = INTERMEDIATE_STATES[state]
    database = databases.copy(at_0006)
    _run_upgrades(databases.url(database), upgrades)
    _migrate(databases.url(database), "stamp", recorded)
    straight = databases.copy(database)
    try:
        flask_db = _flask_db(databases.url(database))
        flask_db("upgrade")
        _assert_same_schema(flask_db.database, head_schema)
        _check(flask_db)
        _migrate(flask_db.database, "downgrade", "base")
        assert _tables(flask_db.database) == {"alembic_version"}

        straight_url = databases.url(straight)
        _migrate(straight_url, "downgrade", "base")
        assert _tables(straight_url) == {"alembic_version"}
        _migrate(straight_url, "upgrade")
        _assert_same_schema(straight_url, head_schema)
    finally:
        databases.drop(database)
        databases.drop(straight)


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
