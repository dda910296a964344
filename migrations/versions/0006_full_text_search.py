"""Full-text search over signals and cases (SQLite FTS5).

Two external-content FTS5 tables, signals_fts (title, description) and cases_fts (title,
summary), accent- and case-insensitive, kept in step with their tables by triggers and
filled from the existing rows. They serve duplicate suggestions and text search. On other
engines this revision does nothing; casework.search falls back there.

Revision ID: 0006_full_text_search
Revises: c3f59bfcbd29
Create Date: 2026-11-24 16:10:00

"""
from alembic import op

revision = "0006_full_text_search"
down_revision = "c3f59bfcbd29"
branch_labels = None
depends_on = None

INDEXES = {
    "signals": ("title", "description"),
    "cases": ("title", "summary"),
}


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in INDEXES.items():
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


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in INDEXES:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")
