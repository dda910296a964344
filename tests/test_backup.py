"""``flask casework backup`` copies a live SQLite database consistently while writes go on;
``flask casework restore`` puts a copy back only when it is intact, of a known schema and
with an audit chain that verifies, and never leaves half a database behind."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import only_sqlite
from sqlalchemy.engine import make_url
from writers import read_acks, spawn

from casework import create_app
from casework.extensions import db
from casework.models import Comment
from casework.ops.backup import BackupRefused, sqlite_path

# The commands copy SQLite files; on PostgreSQL, pg_dump and pg_restore do this job.
pytestmark = only_sqlite


def casework(runner, *args: str):
    return runner.invoke(args=["casework", *(str(arg) for arg in args)])


def assert_one_error_line(result, contains: str):
    """Exit 1 with a single readable ``Error: ...`` line and no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), lines[0]
    assert contains in lines[0], lines[0]


def rows(path: Path) -> dict[str, list]:
    """Every row of every table of a SQLite file."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: connection.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
                for table in tables}


def comments_in(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {body for (body,) in connection.execute("SELECT body FROM comments")}


def leftovers(directory: Path) -> list[str]:
    """Temporary or half-written files a command left behind."""
    return sorted(p.name for p in directory.iterdir()
                  if p.name.endswith((".tmp", ".tmp-wal", ".tmp-shm", ".tmp-journal")))


def chain_of(path: Path):
    """``flask casework audit verify`` on another database file: (exit code, output)."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    try:
        result = other.test_cli_runner().invoke(args=["casework", "audit", "verify"])
    finally:
        with other.app_context():
            db.engine.dispose()
    return result.exit_code, result.output


@pytest.fixture
def history(make):
    """A case taken through its whole life, so the chain has a story to check."""
    return make.case("closed")


@pytest.fixture
def backup_file(runner, history, tmp_path) -> Path:
    target = tmp_path / "backups" / "casework-backup.sqlite3"
    target.parent.mkdir()
    result = casework(runner, "backup", "-o", target)
    assert result.exit_code == 0, result.output
    return target


# --- backup ---------------------------------------------------------------------------------

def test_a_backup_is_consistent_while_a_writer_keeps_writing(app, make, runner, tmp_path,
                                                             database_path):
    case = make.case("assigned")
    writer = spawn("comments", database_path, make.pm.email, make.pm.password, case.key, 0,
                   "live")
    target = tmp_path / "online.sqlite3"
    try:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        before = read_acks(writer, 20)
        result = casework(runner, "backup", "-o", target)
        after = read_acks(writer, 20)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        writer.stdout.close()
        writer.stderr.close()
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output and "audit chain verified" in result.output

    # A snapshot: everything acknowledged before the backup, nothing half-done.
    copied = comments_in(target)
    assert set(before) <= copied
    assert copied - set(before) <= set(after) | {f"live-{len(before) + len(after)}"}
    with contextlib.closing(sqlite3.connect(target)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not Path(f"{target}-wal").exists()
    code, output = chain_of(target)
    assert code == 0, output
    assert leftovers(tmp_path) == []
    # The live database went on as if nothing happened.
    code, output = chain_of(database_path)
    assert code == 0, output


def test_a_backup_does_not_overwrite_a_file_unless_told(runner, backup_file):
    before = backup_file.read_bytes()
    assert_one_error_line(casework(runner, "backup", "-o", backup_file), "exists")
    assert backup_file.read_bytes() == before
    result = casework(runner, "backup", "-o", backup_file, "--force")
    assert result.exit_code == 0, result.output


def test_a_backup_into_a_missing_directory_is_refused(runner, tmp_path):
    assert_one_error_line(casework(runner, "backup", "-o", tmp_path / "nowhere" / "b.sqlite3"),
                          "does not exist")


def test_postgresql_is_pointed_to_its_own_tools():
    with pytest.raises(BackupRefused, match="pg_dump"):
        sqlite_path(make_url("postgresql://casework@db.example/casework"))
    with pytest.raises(BackupRefused, match="not a plain SQLite file"):
        sqlite_path(make_url("sqlite://"))


# --- restore --------------------------------------------------------------------------------

def test_restore_puts_a_backup_back_and_keeps_what_it_replaced(app, client, login_as, make,
                                                               runner, backup_file,
                                                               database_path, history):
    login_as(make.pm)
    assert client.post(f"/cases/{history.key}/comments",
                       data={"body": "Written after the backup"}).status_code == 302
    result = casework(runner, "restore", backup_file)
    assert result.exit_code == 0, result.output
    assert "audit chain verified" in result.output

    with app.app_context():
        bodies = set(db.session.scalars(sa.select(Comment.body)))
    assert "Written after the backup" not in bodies
    kept = sorted(database_path.parent.glob(f"{database_path.name}.replaced-*"))
    assert len(kept) == 1
    assert "Written after the backup" in comments_in(kept[0])
    assert leftovers(database_path.parent) == []
    # The app works on the restored file, and its chain verifies.
    assert client.get(f"/cases/{history.key}").status_code == 200
    assert casework(runner, "audit", "verify").exit_code == 0


def _corrupt(path: Path) -> None:
    """Overwrite the first page of the cases table with noise."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'cases'").fetchone()[0]
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(bytes(range(256)) * (page_size // 256))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _newer_schema(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff0000beef'")
        connection.commit()


def _tamper_with_the_chain(path: Path) -> None:
    """What someone editing the file by hand would do: drop the guards, rewrite a note."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            connection.execute(f'DROP TRIGGER "{name}"')
        connection.execute("UPDATE audit_events SET note = 'Nothing to see here' "
                           "WHERE id = (SELECT min(id) FROM audit_events)")
        connection.commit()


def _another_database(path: Path) -> None:
    path.unlink()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
        connection.commit()


def _text(path: Path) -> None:
    path.write_text("name;market\nHate comments;AT\n")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _missing(path: Path) -> None:
    path.unlink()


@pytest.mark.parametrize(("spoil", "message"), [
    (_corrupt, "damaged"),
    (_truncate, "damaged"),
    (_text, "is not a SQLite database"),
    (_empty, "not a Casework database"),
    (_another_database, "not a Casework database"),
    (_newer_schema, "schema revision ffff0000beef is unknown here"),
    (_tamper_with_the_chain, "audit chain"),
    (_missing, "there is no file"),
], ids=lambda value: getattr(value, "__name__", "")[1:] or None)
def test_restore_refuses_a_bad_file_and_changes_nothing(runner, backup_file, database_path,
                                                        spoil, message):
    spoil(backup_file)
    before = rows(database_path)
    result = casework(runner, "restore", backup_file)
    assert_one_error_line(result, message)
    assert rows(database_path) == before
    assert leftovers(database_path.parent) == []
    assert list(database_path.parent.glob("*.replaced-*")) == []


def test_restore_refuses_while_the_database_is_in_use(runner, backup_file, database_path):
    with contextlib.closing(sqlite3.connect(database_path)) as running_app:
        running_app.execute("SELECT count(*) FROM cases").fetchone()
        result = casework(runner, "restore", backup_file)
    assert_one_error_line(result, "in use")
    assert leftovers(database_path.parent) == []


def test_a_restore_of_an_older_schema_says_to_upgrade(runner, backup_file, tmp_path):
    """A copy whose schema is a known, older revision is restored, with the next step."""
    from alembic.script import ScriptDirectory

    from casework import PROJECT_ROOT

    scripts = ScriptDirectory(str(Path(PROJECT_ROOT) / "migrations"))
    head = scripts.get_current_head()
    older = scripts.get_revision(head).down_revision
    with contextlib.closing(sqlite3.connect(backup_file)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (older,))
        connection.commit()
    result = casework(runner, "restore", backup_file)
    assert result.exit_code == 0, result.output
    assert "flask db upgrade" in result.output


def test_a_backup_of_a_database_whose_chain_is_broken_is_kept_but_fails(runner, history,
                                                                       database_path,
                                                                       tmp_path):
    """The copy is evidence worth keeping; the command still fails, naming the problem."""
    with runner.app.app_context():
        db.engine.dispose()
    _tamper_with_the_chain(database_path)
    target = tmp_path / "evidence.sqlite3"
    assert_one_error_line(casework(runner, "backup", "-o", target), "audit chain")
    assert target.exists()
    assert rows(target)["audit_events"] == rows(database_path)["audit_events"]
    assert leftovers(tmp_path) == []
