"""Indexes for queue, inbox and dashboard at 100,000 cases.

cases(score, updated_at) serves the queue's default order (severity, then last update)
straight from an index, so a page is read without sorting the whole table. The dashboard:
cases(state, closed_at) for the cases closed in a period, signals(created_at) for the
signals of a period (also the inbox across all statuses), audit_events(case_id,
entity_type, action, occurred_at) for when cases were first assigned,
mitigation_actions(status, due) for the overdue actions. cases(restricted, owner_id) finds
the few restricted cases a signal list leaves out. Plain B-tree indexes: the same on
SQLite and PostgreSQL.

Revision ID: 0007_query_indexes
Revises: 0008_postgresql_full_text_search
Create Date: 2026-11-24 16:34:56.358728

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_query_indexes'
down_revision = '0008_postgresql_full_text_search'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_state_closed', ['state', 'closed_at'], unique=False)
        batch_op.create_index('ix_cases_score_updated', ['score', 'updated_at'], unique=False)
        batch_op.create_index('ix_cases_restricted_owner', ['restricted', 'owner_id'],
                              unique=False)

    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index('ix_signals_created_at', ['created_at'], unique=False)

    with op.batch_alter_table('mitigation_actions', schema=None) as batch_op:
        batch_op.create_index('ix_mitigation_actions_status_due', ['status', 'due'],
                              unique=False)

    # Not batch_alter_table: on SQLite a batch rebuild of audit_events would drop the
    # triggers that keep its rows unchangeable.
    op.create_index('ix_audit_events_case_action', 'audit_events',
                    ['case_id', 'entity_type', 'action', 'occurred_at'], unique=False)


def downgrade():
    op.drop_index('ix_audit_events_case_action', table_name='audit_events')

    with op.batch_alter_table('mitigation_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_mitigation_actions_status_due')

    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index('ix_signals_created_at')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_restricted_owner')
        batch_op.drop_index('ix_cases_score_updated')
        batch_op.drop_index('ix_cases_state_closed')
