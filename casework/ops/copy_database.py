"""Moving a whole database to an empty PostgreSQL database: the path for a team that
outgrows one machine.

The target is migrated to the same revision as the source, then every table is copied in
dependency order with its ids, the id sequences are moved past the copied ids, and the
audit chain is verified on the target. Audit events are only inserted, never changed, so
the target's triggers that refuse UPDATE and DELETE on them stay in force throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy.engine import Connection

from casework.cli_support import fail
from casework.extensions import db

BATCH = 2000


class CopyRefused(Exception):
    """The copy cannot start (or its result does not verify); the message says why."""


@dataclass
class CopyResult:
    rows: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        total = sum(self.rows.values())
        return _("%(rows)d rows in %(tables)d tables copied", rows=total, tables=len(self.rows))


# Tables the migrations seed with a row of their own: replaced by the source's rows.
SEEDED = ("audit_head", "health_probes")


def is_empty(connection: Connection) -> bool:
    """No tables, or only the migrations' own rows (the audit head at its start, the
    health check's probe)."""
    inspector = sa.inspect(connection)
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    for table in db.metadata.sorted_tables:
        if table.name not in tables:
            continue
        query = sa.select(sa.func.count()).select_from(table)
        if table.name == "audit_head":
            query = query.where(table.c.seq != 0)
        elif table.name == "health_probes":
            continue
        if connection.scalar(query):
            return False
    return not (tables - set(db.metadata.tables))


def _self_references(table: sa.Table) -> list[str]:
    """Columns that point at the same table: filled in after every row exists."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def copy_tables(source: Connection, target: Connection,
                progress: Callable[[str, int], None] | None = None) -> CopyResult:
    """Copy every model table from ``source`` to ``target``, ids included; nothing commits.

    ``target`` must be migrated and empty (its seeded rows are replaced).
    """
    result = CopyResult()
    for name in SEEDED:
        target.execute(sa.delete(db.metadata.tables[name]))
    for table in db.metadata.sorted_tables:
        later = _self_references(table)
        order = list(table.primary_key.columns)
        rows = source.execute(sa.select(table).order_by(*order)).mappings()
        count = 0
        pending: list[dict] = []
        fixups: list[dict] = []
        for row in rows:
            values = dict(row)
            for name in later:
                if values[name] is not None:
                    fixups.append({"pk": values[order[0].name], "value": values[name],
                                   "column": name})
                    values[name] = None
            pending.append(values)
            if len(pending) >= BATCH:
                target.execute(table.insert(), pending)
                count += len(pending)
                pending = []
        if pending:
            target.execute(table.insert(), pending)
            count += len(pending)
        for fixup in fixups:
            # Plain SQL: a Core update() would also set the onupdate timestamps.
            target.execute(
                sa.text(f'UPDATE {table.name} SET "{fixup["column"]}" = :value '
                        f'WHERE "{order[0].name}" = :pk'),
                {"value": fixup["value"], "pk": fixup["pk"]})
        result.rows[table.name] = count
        if progress:
            progress(table.name, count)
    if target.dialect.name == "postgresql":
        reset_sequences(target)
    return result


def reset_sequences(connection: Connection) -> None:
    """Point every table's id sequence past the largest copied id."""
    for table in db.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is False or not isinstance(column.type, sa.Integer):
                continue
            sequence = connection.scalar(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                         {"t": table.name, "c": column.name})
            if sequence is None:
                continue
            connection.execute(
                sa.text(f'SELECT setval(:s, coalesce(max("{column.name}"), 0) + 1, false) '
                        f"FROM {table.name}"), {"s": sequence})


def _revisions(connection: Connection) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


def _head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return set(ScriptDirectory.from_config(config).get_heads())


def _copy_into_target(source_engine: sa.Engine):
    """In the target app's context: check it is empty, migrate, copy, verify."""
    from flask_migrate import upgrade

    from casework.audit import chain

    try:
        with db.engine.connect() as connection:
            empty = is_empty(connection)
    except sa.exc.OperationalError as error:
        fail(_("cannot reach the target database: %(reason)s",
               reason=str(error.orig).strip().splitlines()[0]))
    if not empty:
        fail(_("the target database is not empty; copy-db only fills an empty database"))
    upgrade()
    with source_engine.connect() as source, db.engine.begin() as connection:
        copied = copy_tables(source, connection)
    return chain.verify(db.session), copied


@click.command("copy-db")
@click.option("--to", "target", required=True, metavar="URL",
              help="An empty PostgreSQL database: postgresql://user:password@host/name")
@with_appcontext
def copy_db_command(target: str) -> None:
    """Copy this whole database, audit chain included, to an EMPTY PostgreSQL database."""
    from flask import current_app

    from casework import create_app
    from casework.config import database_url

    target = database_url(target)
    if sa.make_url(target).get_backend_name() != "postgresql":
        fail(_("--to must be a PostgreSQL URL (postgresql://user:password@host/name)"))
    source_engine = db.engine
    with source_engine.connect() as source:
        if _revisions(source) != _head_revisions():
            fail(_("the source database is not migrated to the latest revision; "
                   "run `flask db upgrade` on it first"))
    target_app = create_app({"SECRET_KEY": current_app.config["SECRET_KEY"],
                             "SQLALCHEMY_DATABASE_URI": target})
    with target_app.app_context():
        try:
            verified, copied = _copy_into_target(source_engine)
        finally:
            db.session.remove()
            db.engine.dispose()  # no connection outlives the command (nor the target)
    if not verified.ok:
        fail(_("the copy does not verify: %(problem)s", problem=verified.describe()))
    click.echo(f"{copied.describe()}; {verified.describe()}")
