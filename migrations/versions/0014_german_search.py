"""German search: signals and cases are searched by their normalised words.

Adds ``search_text`` to signals and cases: the words of their title and description (or
summary) as ``casework.search`` normalises them (no case or accents, ä = ae = a, ß = ss,
inflection endings stripped), set by the application with every change. Existing rows are
filled here, a thousand at a time. The full-text indexes now index that column, on both
engines alike: on SQLite the FTS5 tables of 0006 are rebuilt over it (same names, new
triggers); on PostgreSQL the GIN indexes of 0008 are replaced by GIN indexes on its
``simple`` tsvector. The downgrade puts back the indexes of 0006 and 0008.

The filling calls ``casework.search.fill_search_text``, application code, unlike other
migrations: the stored words must be exactly what the application searches for.

Revision ID: 0014_german_search
Revises: 0013_user_language
Create Date: 2026-11-30 12:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0014_german_search"
down_revision = "0013_user_language"
branch_labels = None
depends_on = None

# The texts of 0006 and 0008 (casework.search.SEARCHED).
TEXTS = {
    "signals": ("title", "description"),
    "cases": ("title", "summary"),
}
# Keep in step with casework.search.POSTGRESQL_DOCUMENT.
SEARCH_DOCUMENT = "to_tsvector('simple', search_text)"


def _sqlite_fts(table: str, columns) -> None:
    """An external-content FTS5 table over ``columns`` of ``table``, kept by triggers."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {table}_fts USING fts5({cols}, content='{table}', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {table}_fts_update AFTER UPDATE OF {cols} ON {table} BEGIN "
        f"INSERT INTO {table}_fts({table}_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {table}_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


def _drop_sqlite_fts(table: str) -> None:
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
    op.execute(f"DROP TABLE IF EXISTS {table}_fts")


def _postgresql_document(columns) -> str:
    """The tsvector 0008 indexed."""
    first, second = columns
    return (f"to_tsvector('casework_search', coalesce({first}, '') || ' ' || "
            f"coalesce({second}, ''))")


def upgrade():
    from casework.search import fill_search_text

    engine = op.get_bind().dialect.name
    for table in TEXTS:
        if engine == "sqlite":
            _drop_sqlite_fts(table)
        elif engine == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
        # A plain ADD COLUMN, on SQLite too: no copy of the table.
        op.add_column(table, sa.Column("search_text", sa.Text(), server_default="",
                                       nullable=False))
        fill_search_text(op.get_bind(), table)
        if engine == "sqlite":
            _sqlite_fts(table, ["search_text"])
        elif engine == "postgresql":
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} "
                       f"USING gin (({SEARCH_DOCUMENT}))")


def downgrade():
    engine = op.get_bind().dialect.name
    for table, columns in TEXTS.items():
        if engine == "sqlite":
            _drop_sqlite_fts(table)
        elif engine == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
        # SQLite (3.35 and later) drops the column in place: a batch copy of the table
        # would DROP the original, which with foreign keys on deletes what refers to it.
        op.drop_column(table, "search_text")
        if engine == "sqlite":
            _sqlite_fts(table, columns)
        elif engine == "postgresql":
            op.execute(f"CREATE INDEX ix_{table}_search ON {table} "
                       f"USING gin (({_postgresql_document(columns)}))")
