"""``flask casework copy-db --to postgresql://...`` moves a whole SQLite database to an empty
PostgreSQL database, ids and audit chain intact, and refuses a target that holds data.

Needs a PostgreSQL server: ``CASEWORK_TEST_POSTGRES_URL`` (or the suite's own
``CASEWORK_TEST_DATABASE_URL``), as ``make test-postgres`` and CI set. Without one these
tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3

import pytest
import sqlalchemy as sa
from conftest import Factory

from casework import create_app
from casework.audit import chain
from casework.config import database_url
from casework.extensions import db
from casework.models import AuditEvent, Case, MitigationAction, Signal, User

SERVER = (os.environ.get("CASEWORK_TEST_POSTGRES_URL")
          or os.environ.get("CASEWORK_TEST_DATABASE_URL", "")).strip()
_names = itertools.count(1)

if not SERVER:
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true needs a PostgreSQL server: set CASEWORK_TEST_POSTGRES_URL "
                    "(.ci/run starts one)", pytrace=False)
    pytestmark = pytest.mark.skip(reason="no PostgreSQL server: set CASEWORK_TEST_POSTGRES_URL "
                                         "or run `make test-postgres`")


@pytest.fixture
def target():
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    server = sa.make_url(database_url(SERVER))
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"cw_copy_{os.getpid()}_{next(_names)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _app(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                       "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


@pytest.fixture
def source(tmp_path):
    """A migrated SQLite database with real work in it, whatever engine the suite runs on."""
    path = tmp_path / "source.sqlite3"
    app = _app(f"sqlite:///{path}")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    make = Factory(app)
    make.case("closed")
    make.case("in_review")
    first = make.signal(title="Scam ring on Live in Vienna")
    with app.app_context():
        from casework.signals.operations import mark_duplicate

        again = db.session.get(Signal, make.signal(title="Scam ring on Live in Vienna, again"))
        mark_duplicate(db.session.get(User, make.pm.id), again,
                       of_signal=db.session.get(Signal, first))
        db.session.commit()
    yield app, path
    with app.app_context():
        db.engine.dispose()


def _snapshot(app) -> dict:
    with app.app_context():
        return {
            "users": db.session.execute(sa.select(User.id, User.email).order_by(User.id)).all(),
            "cases": db.session.execute(sa.select(Case.id, Case.key, Case.state,
                                                  Case.updated_at).order_by(Case.id)).all(),
            "signals": db.session.execute(sa.select(
                Signal.id, Signal.duplicate_of_signal_id, Signal.updated_at)
                .order_by(Signal.id)).all(),
            "actions": db.session.execute(sa.select(MitigationAction.id, MitigationAction.title)
                                          .order_by(MitigationAction.id)).all(),
            "audit": db.session.execute(sa.select(AuditEvent.id, AuditEvent.seq,
                                                  AuditEvent.hash).order_by(AuditEvent.seq)).all(),
            "head": chain.current_head(),
        }


def test_a_sqlite_database_moves_to_postgresql_with_ids_and_chain_intact(source, target):
    app, _path = source
    before = _snapshot(app)
    result = app.test_cli_runner().invoke(args=["casework", "copy-db", "--to", target])
    assert result.exit_code == 0, result.output
    assert f"{len(before['audit'])} audit events verified" in result.output

    copy = _app(target)
    try:
        assert _snapshot(copy) == before
        with copy.app_context():
            assert chain.verify().ok
            duplicates = [row for row in before["signals"] if row.duplicate_of_signal_id]
            assert duplicates, "the source should hold a signal marked as a duplicate"
        # The sequences moved on: new rows get new ids, and chain on from the copied head.
        new_signal = Factory(copy).signal(by=Factory(copy).user("program_manager"))
        assert new_signal > max(row.id for row in before["signals"])
        with copy.app_context():
            assert chain.verify().count > len(before["audit"])
            assert chain.verify().ok
    finally:
        with copy.app_context():
            db.engine.dispose()


def test_a_target_that_holds_data_is_refused(source, target):
    app, _path = source
    runner = app.test_cli_runner()
    assert runner.invoke(args=["casework", "copy-db", "--to", target]).exit_code == 0
    again = runner.invoke(args=["casework", "copy-db", "--to", target])
    assert again.exit_code == 1
    lines = again.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), again.output
    assert "not empty" in lines[0]


def test_a_copy_that_does_not_verify_fails(source, target):
    app, path = source
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("DROP TRIGGER audit_events_no_update")
        connection.execute("UPDATE audit_events SET note = 'rewritten' WHERE seq = 3")
        connection.commit()
    result = app.test_cli_runner().invoke(args=["casework", "copy-db", "--to", target])
    assert result.exit_code == 1
    # Alembic reports the migration of the target before the copy; then one error line.
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert errors[0].startswith("Error: the copy does not verify: audit event id")
    assert result.output.strip().splitlines()[-1] == errors[0]


def test_only_postgresql_is_a_target(source):
    app, _path = source
    result = app.test_cli_runner().invoke(
        args=["casework", "copy-db", "--to", "sqlite:////tmp/elsewhere.sqlite3"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: --to must be a PostgreSQL URL")
