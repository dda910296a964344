"""Four eyes: remember who submitted a case for review.

Adds cases.submitted_by_id so that the person who submitted a case for review cannot
also approve it or request changes. Existing rows get NULL (nobody is excluded).

Revision ID: b43adacb0d2e
Revises: f06e39f515c4
Create Date: 2026-11-24 15:21:32.220349

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b43adacb0d2e'
down_revision = 'f06e39f515c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_submitted_by_id_users'), 'users', ['submitted_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_submitted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('submitted_by_id')

