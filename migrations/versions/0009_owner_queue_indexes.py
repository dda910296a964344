"""Indexes for one owner's queue at 100,000 cases.

cases(owner_id, score, updated_at), cases(owner_id, updated_at) and cases(owner_id,
created_at) serve "my cases" (and any owner's) in each of the queue's orders (severity,
last update, newest) straight from an index, so a busy owner's first page does not sort
thousands of cases. They replace ix_cases_owner_id, whose column leads all three. Plain B-tree indexes: the same on SQLite and PostgreSQL.

Revision ID: 0009_owner_queue_indexes
Revises: 0007_query_indexes
Create Date: 2026-11-24 18:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_owner_queue_indexes'
down_revision = '0007_query_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_cases_owner_score', 'cases', ['owner_id', 'score', 'updated_at'])
    op.create_index('ix_cases_owner_updated', 'cases', ['owner_id', 'updated_at'])
    op.create_index('ix_cases_owner_created', 'cases', ['owner_id', 'created_at'])
    op.drop_index('ix_cases_owner_id', table_name='cases')


def downgrade():
    op.create_index('ix_cases_owner_id', 'cases', ['owner_id'])
    op.drop_index('ix_cases_owner_created', table_name='cases')
    op.drop_index('ix_cases_owner_updated', table_name='cases')
    op.drop_index('ix_cases_owner_score', table_name='cases')
