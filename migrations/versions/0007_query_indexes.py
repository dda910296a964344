"""Indexes for queue, inbox and dashboard at 100,000 cases.

cases(score, updated_at) serves the queue's default order (severity, then last update)
straight from an index, so a page is read without sorting the whole table. The dashboard:
cases(state, closed_at) for the cases closed in a period, signals(created_at) for the
signals of a period (also the inbox across all statuses), audit_events(case_id,
entity_type, action, occurred_at) for when cases were first assigned,
mitigation_actions(status, due) for the overdue actions. cases(restricted, owner_id) finds
the few restricted cases a signal list leaves out. Plain B-tree indexes: the same on
SQLite and PostgreSQL.

Runs after 0006, in its numbered place. Before the chain was put in order it ran after
0008 (0006 -> 0008 -> 0007 -> 0009), and the revision ids stayed as they were, so a
database may record 0007 with 0008 already applied (0008 then leaves its objects alone)
or record 0008 without these indexes (0009 then builds them). The downgrade drops only
the indexes that exist, so it also works on the latter.

Revision ID: 0007_query_indexes
Revises: 0006_full_text_search
Create Date: 2026-11-24 16:34:56.358728

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_query_indexes'
down_revision = '0006_full_text_search'
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
    # IF EXISTS: a database that recorded 0008 before the reorder never ran this upgrade.
    op.drop_index('ix_audit_events_case_action', table_name='audit_events', if_exists=True)

    with op.batch_alter_table('mitigation_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_mitigation_actions_status_due', if_exists=True)

    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index('ix_signals_created_at', if_exists=True)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_restricted_owner', if_exists=True)
        batch_op.drop_index('ix_cases_score_updated', if_exists=True)
        batch_op.drop_index('ix_cases_state_closed', if_exists=True)
