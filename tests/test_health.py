"""/healthz tells the load balancer whether the database can be read and written: a
database that answers a SELECT but refuses writes (a full disk, a read-only file or
replica) is unavailable (503); one busy with other writes is still serving (200)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from contextlib import closing

import pytest
import sqlalchemy as sa

from casework import create_app
from casework.extensions import db
from casework.models import HealthProbe


def _engine(database_url: str) -> str:
    return sa.make_url(database_url).get_backend_name()


def _app(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})


def _health(app) -> tuple[int, dict]:
    try:
        response = app.test_client().get("/healthz")
        return response.status_code, response.get_json()
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_writable_database_is_ok_and_the_probe_is_committed(app, client, query):
    before = query(sa.select(HealthProbe.checked_at))[0][0]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": {"read": True, "write": "ok"}}
    assert query(sa.select(HealthProbe.checked_at))[0][0] > before


def test_a_database_that_refuses_writes_is_unavailable(database_url, database_path):
    """A read-only SQLite file, or a PostgreSQL database whose transactions are read-only
    (as on a replica after a failover)."""
    if _engine(database_url) == "sqlite":
        url = f"sqlite:///file:{database_path}?mode=ro&uri=true"
    else:
        url = database_url
        admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        name = sa.make_url(database_url).database
        with admin.begin() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        admin.dispose()
    status, body = _health(_app(url))
    assert status == 503
    assert body == {"status": "unavailable", "database": {"read": True, "write": "failed"}}


def test_a_full_disk_is_unavailable(tmp_path, database_url, database_path):
    """The database file on a small file system that has filled up."""
    if _engine(database_url) != "sqlite":
        pytest.skip("the SQLite file on a full disk")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a small file system needs root")
    try:
        copy = disk / "casework.sqlite3"
        with closing(sqlite3.connect(database_path)) as source, \
                closing(sqlite3.connect(copy)) as target:
            source.backup(target)
        app = _app(f"sqlite:///{copy}")
        assert _health(app)[0] == 200  # room left: it writes
        with open(disk / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        status, body = _health(app)
        assert status == 503
        assert body["status"] == "unavailable" and body["database"]["write"] == "failed"
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
        shutil.rmtree(disk, ignore_errors=True)


def test_a_database_busy_with_other_writes_is_still_serving(app, database_url, database_path):
    held, release = threading.Event(), threading.Event()

    def hold_the_write_lock():
        if _engine(database_url) == "sqlite":
            with closing(sqlite3.connect(database_path, isolation_level=None)) as other:
                other.execute("BEGIN IMMEDIATE")
                held.set()
                release.wait(30)
                other.execute("ROLLBACK")
        else:
            other = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
            with other.begin() as connection:
                connection.exec_driver_sql("SELECT * FROM health_probes FOR UPDATE")
                held.set()
                release.wait(30)
            other.dispose()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert held.wait(10)
        response = app.test_client().get("/healthz")
    finally:
        release.set()
        holder.join()
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": {"read": True, "write": "busy"}}
    # The connection's own wait is back to the long one of every request.
    with app.app_context():
        if _engine(database_url) == "sqlite":
            from casework import config

            waits = {db.session.execute(sa.text("PRAGMA busy_timeout")).scalar()
                     for _ in range(3)}
            assert waits == {config.SQLITE_BUSY_TIMEOUT_MS}
