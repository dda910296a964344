"""PostgreSQL: full-text search over signals and cases (GIN indexes), and audit refusals
as integrity errors.

PostgreSQL's counterpart of 0006: a text search configuration ``casework_search`` (the
``simple`` dictionary after ``unaccent``, so search is accent- and case-insensitive as on
SQLite) and GIN indexes on the tsvector of signals (title, description) and cases (title,
summary), the same expressions that ``casework.search`` queries with ts_rank. On SQLite
this revision does nothing (0006 built FTS5 tables there).

The trigger function of 0004 that refuses to change or delete audit events now raises
SQLSTATE 23000 (integrity_constraint_violation), as SQLite's RAISE(ABORT) does, so the
application sees the same IntegrityError (and answers 409) on both engines.

Runs after 0007, in its numbered place. Before the chain was put in order it ran right
after 0006 (0006 -> 0008 -> 0007 -> 0009), and the revision ids stayed as they were, so a
database that recorded 0007 then already holds everything built here: the upgrade creates
only what is missing (IF NOT EXISTS; the configuration where it does not exist yet) and
replaces the function. A database that recorded 0008 then lacks 0007's indexes: 0009
builds them.

Revision ID: 0008_postgresql_full_text_search
Revises: 0007_query_indexes
Create Date: 2026-11-24 16:30:00

"""
from alembic import op

revision = "0008_postgresql_full_text_search"
down_revision = "0007_query_indexes"
branch_labels = None
depends_on = None

# Keep in step with casework.search.POSTGRESQL_DOCUMENTS.
INDEXES = {
    "signals": "to_tsvector('casework_search', coalesce(title, '') || ' ' || "
               "coalesce(description, ''))",
    "cases": "to_tsvector('casework_search', coalesce(title, '') || ' ' || "
             "coalesce(summary, ''))",
}


REFUSE_CHANGE = """CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
   LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION 'audit events cannot be changed or deleted'{errcode};
   END $$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # Every step may find its object in place (see above). PostgreSQL has no CREATE TEXT
    # SEARCH CONFIGURATION IF NOT EXISTS: look in the schema that CREATE would use.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("""DO $$ BEGIN
       IF NOT EXISTS (SELECT FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
                      WHERE c.cfgname = 'casework_search' AND n.nspname = current_schema())
       THEN
         CREATE TEXT SEARCH CONFIGURATION casework_search (COPY = simple);
       END IF;
     END $$""")
    op.execute("ALTER TEXT SEARCH CONFIGURATION casework_search "
               "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple")
    for table, document in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_search ON {table} "
                   f"USING gin (({document}))")
    op.execute(REFUSE_CHANGE.format(errcode="\n       USING ERRCODE = 'integrity_constraint_violation'"))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS casework_search")
    op.execute(REFUSE_CHANGE.format(errcode=""))
