"""Audit events cannot be replaced, and the health check can tell a database that can no
longer be written.

An INSERT that reuses an audit event's id or sequence number is refused.

SQLite's ``INSERT OR REPLACE`` (and ``REPLACE INTO``) resolves a uniqueness conflict by
deleting the old row without firing its DELETE trigger, so an event could be swapped for
another with the same id and seq. A BEFORE INSERT trigger refuses the statement before
the conflict is resolved. PostgreSQL has no such statement (``ON CONFLICT DO UPDATE``
fires the UPDATE trigger, which refuses it); the same trigger is added there so both
engines give the same refusal.

health_probes holds the one row ``/healthz`` writes and commits: a database that answers a
SELECT may still refuse every write (a full disk, a read-only file or replica).

Revision ID: 0012_no_replace_health_probe
Revises: 0011_credentials
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_no_replace_health_probe'
down_revision = '0011_credentials'
branch_labels = None
depends_on = None

SQLITE_TRIGGER = """
CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id OR seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'audit events cannot be replaced'); END
"""
POSTGRESQL_TRIGGER = (
    """CREATE FUNCTION audit_events_refuse_replace() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id OR seq = NEW.seq) THEN
           RAISE EXCEPTION 'audit events cannot be replaced' USING ERRCODE = 'unique_violation';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_replace()""",
)


def upgrade():
    op.create_table('health_probes',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_probes'))
    )
    # The one row, there from the start: concurrent first checks then only update it.
    op.execute("INSERT INTO health_probes (id, checked_at) VALUES (1, CURRENT_TIMESTAMP)")
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute(SQLITE_TRIGGER)
    elif dialect == 'postgresql':
        for statement in POSTGRESQL_TRIGGER:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS audit_events_no_replace')
    elif dialect == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_events_no_replace ON audit_events')
        op.execute('DROP FUNCTION IF EXISTS audit_events_refuse_replace()')
    op.drop_table('health_probes')
