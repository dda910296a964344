"""Tamper-evident audit chain, login throttling, forced password change.

audit_events gets seq (1, 2, 3, ... without gaps), prev_hash and hash: a SHA-256 chain over
each event's content and the event before it. Existing events are chained in id order. The
one row of the new audit_head table names the newest event; writers lock it. Triggers make
the database refuse UPDATE and DELETE on audit_events (SQLite and PostgreSQL). A batch
migration that rebuilds audit_events on SQLite drops its triggers: create them again.

login_failures keeps failed logins for the throttle, shared by every worker process.
users.must_change_password is set by an admin's password reset.

Revision ID: 996ba0bab278
Revises: 9aac20369b32
Create Date: 2026-11-24 15:32:42.064979

"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '996ba0bab278'
down_revision = '9aac20369b32'
branch_labels = None
depends_on = None

GENESIS = '0' * 64

# A copy of casework.audit.chain.canonical as it was when this migration was written: a
# migration must not import application code that may change later.
HASHED_FIELDS = ('occurred_at', 'actor_id', 'entity_type', 'entity_id', 'case_id', 'action',
                 'changes', 'note')


def _hash(row, prev_hash):
    values = {name: getattr(row, name) for name in HASHED_FIELDS}
    when = values['occurred_at']
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    values['occurred_at'] = when.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    values['changes'] = values['changes'] or {}
    values['prev_hash'] = prev_hash
    text = json.dumps(values, sort_keys=True, separators=(',', ':'), ensure_ascii=True)
    return hashlib.sha256(text.encode('ascii')).hexdigest()


def _chain_existing_events():
    """Give every existing event its seq and hashes, oldest first; return the head."""
    events = sa.table(
        'audit_events',
        sa.column('id', sa.Integer()), sa.column('occurred_at', sa.DateTime(timezone=True)),
        sa.column('actor_id', sa.Integer()), sa.column('entity_type', sa.String()),
        sa.column('entity_id', sa.Integer()), sa.column('case_id', sa.Integer()),
        sa.column('action', sa.String()), sa.column('changes', sa.JSON()),
        sa.column('note', sa.Text()), sa.column('seq', sa.Integer()),
        sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(events).order_by(events.c.id)).all()
    seq, prev_hash = 0, GENESIS
    for row in rows:
        seq += 1
        digest = _hash(row, prev_hash)
        connection.execute(events.update().where(events.c.id == row.id)
                           .values(seq=seq, prev_hash=prev_hash, hash=digest))
        prev_hash = digest
    return seq, prev_hash


SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit events cannot be deleted'); END""",
)
POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit events cannot be changed or deleted';
       END $$""",
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
       FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()""",
)


def upgrade():
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('remote_addr', sa.String(length=45), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_attempted_at'), ['attempted_at'], unique=False)
        batch_op.create_index('ix_login_failures_email_at', ['email', 'attempted_at'], unique=False)
        batch_op.create_index('ix_login_failures_remote_addr_at', ['remote_addr', 'attempted_at'], unique=False)

    # Nullable first, filled in, then required.
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    head_seq, head_hash = _chain_existing_events()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
    op.bulk_insert(sa.table('audit_head', sa.column('id', sa.Integer()),
                            sa.column('seq', sa.Integer()), sa.column('hash', sa.String())),
                   [{'id': 1, 'seq': head_seq, 'hash': head_hash}])

    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == 'postgresql':
        for statement in POSTGRESQL_TRIGGERS:
            op.execute(statement)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS audit_events_no_update')
        op.execute('DROP TRIGGER IF EXISTS audit_events_no_delete')
    elif dialect == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events')
        op.execute('DROP TRIGGER IF EXISTS audit_events_no_update ON audit_events')
        op.execute('DROP FUNCTION IF EXISTS audit_events_refuse_change()')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_remote_addr_at')
        batch_op.drop_index('ix_login_failures_email_at')
        batch_op.drop_index(batch_op.f('ix_login_failures_attempted_at'))

    op.drop_table('login_failures')
    op.drop_table('audit_head')
