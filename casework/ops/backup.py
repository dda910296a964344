"""Online backup and checked restore of the SQLite database.

``flask casework backup -o FILE`` copies the live database with SQLite's backup API: one
consistent snapshot, taken while the app keeps writing (WAL readers do not block writers).
``flask casework restore FILE`` puts a copy back only after it passes ``PRAGMA
integrity_check``, carries a schema revision this Casework knows, and its audit chain
verifies. Both write a temporary file beside the target, fsync it and move it into place
with ``os.replace``, so a crash leaves the old file or the new one, never half of one.

PostgreSQL has its own tools (``pg_dump``/``pg_restore``); these commands refuse there.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy.engine import URL

from casework.cli_support import fail

# How long restore waits for other connections to let go of the live database.
IN_USE_TIMEOUT_S = 2.0


class BackupRefused(Exception):
    """A backup or restore that was not done; the message says why, in one line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CopyCheck:
    """What a database file was found to hold."""

    revision: str
    audit_events: int | None = None  # None: the chain was not checked
    head: str = ""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        chain = (_("audit chain verified: %(num)d events, head hash %(hash)s",
                   num=self.audit_events, hash=self.head)
                 if self.audit_events is not None else _("audit chain not checked"))
        return _("schema revision %(revision)s, integrity ok, %(chain)s",
                 revision=self.revision, chain=chain)


def sqlite_path(url: URL) -> Path:
    """The file of a SQLite database URL.

    :raise BackupRefused: not SQLite, or a database that lives in memory only.
    """
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(_("backup and restore work on SQLite only; for %(backend)s use "
                              "its own tools (pg_dump and pg_restore for PostgreSQL)",
                              backend=url.get_backend_name()))
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupRefused(_("the database is not a plain SQLite file"))
    return Path(url.database)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _temporary_beside(target: Path):
    """A fresh temporary file name in the target's directory, removed unless moved away."""
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                    suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm"),
                         Path(f"{temporary}-journal")):
            leftover.unlink(missing_ok=True)


def _unusable(error: sqlite3.DatabaseError, what: str) -> BackupRefused:
    if getattr(error, "sqlite_errorname", "") == "SQLITE_NOTADB":
        return BackupRefused(_("%(what)s is not a SQLite database", what=what))
    return BackupRefused(_("%(what)s is damaged (%(error)s)", what=what, error=error))


def _copy_with_backup_api(source: Path, destination: Path, what: str) -> None:
    """Copy ``source`` page by page in one step (one consistent snapshot), then make the
    copy a single self-contained file (rollback journal, not WAL)."""
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as reader, \
                contextlib.closing(sqlite3.connect(destination)) as writer:
            reader.backup(writer)
            writer.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as error:
        raise _unusable(error, what) from None


def _known_revisions(migrations: str) -> tuple[set[str], set[str]]:
    """Every schema revision this Casework knows, and its newest ones (heads)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(migrations)
    return {script.revision for script in scripts.walk_revisions()}, set(scripts.get_heads())


def check_copy(path: Path, what: str, migrations: str) -> CopyCheck:
    """Check a database file for restoring: intact, a known schema, a verified chain.

    :raise BackupRefused: it is not SQLite, damaged, from an unknown (newer) schema, or its
        audit chain does not verify.
    """
    try:
        uri = f"{path.absolute().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupRefused(_("%(what)s is damaged: %(problem)s", what=what,
                                      problem=problems[0]))
            if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise BackupRefused(_("%(what)s is damaged: a row refers to one that is missing",
                                      what=what))
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                raise BackupRefused(_("%(what)s is not a Casework database (it has no schema "
                                      "revision)", what=what))
            revision = (db.execute("SELECT version_num FROM alembic_version").fetchone()
                        or ["?"])[0]
            audit_columns = {row[1] for row in db.execute("PRAGMA table_info(audit_events)")}
    except sqlite3.DatabaseError as error:
        raise _unusable(error, what) from None

    known, heads = _known_revisions(migrations)
    if revision not in known:
        raise BackupRefused(_("%(what)s comes from a newer or another version of Casework "
                              "(schema revision %(revision)s is unknown here)", what=what,
                              revision=revision))
    check = CopyCheck(revision)
    if revision not in heads:
        check.notes.append(_("its schema (revision %(revision)s) is older than this "
                             "Casework's; run `flask db upgrade` next", revision=revision))
    if importlib.util.find_spec("casework.audit.chain") is None:
        check.notes.append(_("the audit chain was not checked (casework.audit.chain is "
                             "missing)"))
    elif not {"seq", "hash", "prev_hash"} <= audit_columns or "audit_head" not in tables:
        check.notes.append(_("the audit chain was not checked (its schema predates the "
                             "chain)"))
    else:
        result = _verify_chain(path)
        if not result.ok:
            raise BackupRefused(_("the audit chain of %(what)s does not verify: %(problem)s",
                                  what=what, problem=result.describe()))
        check.audit_events, check.head = result.count, result.head
    return check


def _verify_chain(path: Path):
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import NullPool

    from casework.audit import chain

    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with Session(engine) as session:
            return chain.verify(session)
    finally:
        engine.dispose()


def _make_self_contained(path: Path) -> None:
    """Back to a rollback journal: checking opened the file in WAL mode."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=DELETE")


def backup_database(live: Path, target: Path, migrations: str, *, replace: bool = False
                    ) -> CopyCheck:
    """Write a consistent copy of the live database to ``target`` and check it.

    :raise BackupRefused: no live database, a target that exists (without ``replace``) or
        cannot be written; or (the copy written all the same) a copy that does not check
        out, which means the live database does not either.
    """
    if not live.is_file():
        raise BackupRefused(_("there is no database at %(path)s", path=live))
    if target.exists() and not replace:
        raise BackupRefused(_("%(path)s exists; choose another file or use --force",
                              path=target))
    if not target.parent.is_dir():
        raise BackupRefused(_("the directory %(path)s does not exist", path=target.parent))
    with _temporary_beside(target) as temporary:
        _copy_with_backup_api(live, temporary, _("the live database"))
        try:
            check, problem = check_copy(temporary, _("the copy"), migrations), None
        except BackupRefused as refusal:
            # Keep the copy all the same: a damaged database is worth a copy, the more so.
            check, problem = None, refusal
        _make_self_contained(temporary)
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync_directory(target.parent)
    if problem is not None:
        raise BackupRefused(_("wrote %(path)s, but %(problem)s; the live database needs "
                              "attention", path=target, problem=problem.message))
    return check


def _release_live(live: Path) -> None:
    """Fold the live database's WAL into it, and make sure nobody else has it open.

    :raise BackupRefused: another process (a running Casework) uses the database.
    """
    try:
        with contextlib.closing(sqlite3.connect(live, timeout=IN_USE_TIMEOUT_S)) as db:
            mode = db.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = "wal"
    if mode != "delete" or Path(f"{live}-wal").exists():
        raise BackupRefused(_("the database is in use; stop Casework, then restore"))


def restore_database(source: Path, live: Path, migrations: str) -> tuple[CopyCheck, Path | None]:
    """Replace the live database with a checked copy of ``source``; the database it
    replaces is kept beside it. Returns the check and where the old database is kept.

    :raise BackupRefused: the file is missing, not SQLite, damaged, from a newer schema,
        its chain does not verify, or the live database is in use.
    """
    if not source.is_file():
        raise BackupRefused(_("there is no file %(path)s", path=source))
    live.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(live) as temporary:
        _copy_with_backup_api(source, temporary, str(source))
        check = check_copy(temporary, str(source), migrations)
        _make_self_contained(temporary)
        _fsync(temporary)
        kept = None
        if live.exists():
            shutil.copymode(live, temporary)  # a backup is private; the database as it was
            _release_live(live)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            kept = live.with_name(f"{live.name}.replaced-{stamp}")
            try:
                os.link(live, kept)  # the old file stays reachable under this name
            except OSError:  # a file system without hard links
                shutil.copy2(live, kept)
        os.replace(temporary, live)
        _fsync_directory(live.parent)
    return check, kept


# --------------------------------------------------------------------------- commands


def _live_path() -> tuple[Path, str]:
    from flask import current_app

    from casework.extensions import db

    path = sqlite_path(db.engine.url)
    # Our own pooled connections must not hold the file (or its WAL) open.
    db.engine.dispose()
    return path, current_app.extensions["migrate"].directory


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write the copy to.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@with_appcontext
def backup_command(output: str, force: bool) -> None:
    """Copy the live SQLite database, consistently, while Casework keeps running."""
    try:
        live, migrations = _live_path()
        check = backup_database(live, Path(output).absolute(), migrations, replace=force)
    except BackupRefused as error:
        fail(error.message)
    click.echo(_("Backed up %(live)s to %(file)s: %(check)s.", live=live, file=output,
                 check=check.describe()))
    for note in check.notes:
        click.echo(_("Note: %(note)s.", note=note))


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def restore_command(file: str) -> None:
    """Put a backup in place of the database, after checking it; stop Casework first."""
    try:
        live, migrations = _live_path()
        check, kept = restore_database(Path(file).absolute(), live, migrations)
    except BackupRefused as error:
        fail(error.message)
    click.echo(_("Restored %(file)s to %(live)s: %(check)s.", file=file, live=live,
                 check=check.describe()))
    if kept is not None:
        click.echo(_("The database it replaced is kept as %(path)s.", path=kept))
    for note in check.notes:
        click.echo(_("Note: %(note)s.", note=note))
