"""Indexes for one owner's queue at 100,000 cases.

cases(owner_id, score, updated_at), cases(owner_id, updated_at) and cases(owner_id,
created_at) serve "my cases" (and any owner's) in each of the queue's orders (severity,
last update, newest) straight from an index, so a busy owner's first page does not sort
thousands of cases. They replace ix_cases_owner_id, whose column leads all three. Plain B-tree indexes: the same on SQLite and PostgreSQL.

First it builds those of 0007's indexes that are missing. 0007 and 0008 once ran in the
other order (0006 -> 0008 -> 0007 -> 0009) and kept their revision ids when they were put
in order, so a database that recorded 0008 then counts as past 0007 now without having
its indexes. Elsewhere they exist and this step does nothing; the downgrade leaves them
(0008, and so 0007, stays applied).

Revision ID: 0009_owner_queue_indexes
Revises: 0008_postgresql_full_text_search
Create Date: 2026-11-24 18:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_owner_queue_indexes'
down_revision = '0008_postgresql_full_text_search'
branch_labels = None
depends_on = None


# 0007's indexes, as 0007 builds them: keep in step.
QUERY_INDEXES = {
    'ix_cases_state_closed': ('cases', ['state', 'closed_at']),
    'ix_cases_score_updated': ('cases', ['score', 'updated_at']),
    'ix_cases_restricted_owner': ('cases', ['restricted', 'owner_id']),
    'ix_signals_created_at': ('signals', ['created_at']),
    'ix_mitigation_actions_status_due': ('mitigation_actions', ['status', 'due']),
    'ix_audit_events_case_action': ('audit_events',
                                    ['case_id', 'entity_type', 'action', 'occurred_at']),
}


def upgrade():
    # Plain CREATE INDEX, not batch_alter_table: no table is rebuilt, so the triggers on
    # audit_events stay in place.
    for name, (table, columns) in QUERY_INDEXES.items():
        op.create_index(name, table, columns, if_not_exists=True)

    op.create_index('ix_cases_owner_score', 'cases', ['owner_id', 'score', 'updated_at'])
    op.create_index('ix_cases_owner_updated', 'cases', ['owner_id', 'updated_at'])
    op.create_index('ix_cases_owner_created', 'cases', ['owner_id', 'created_at'])
    op.drop_index('ix_cases_owner_id', table_name='cases')


def downgrade():
    op.create_index('ix_cases_owner_id', 'cases', ['owner_id'])
    op.drop_index('ix_cases_owner_created', table_name='cases')
    op.drop_index('ix_cases_owner_updated', table_name='cases')
    op.drop_index('ix_cases_owner_score', table_name='cases')
