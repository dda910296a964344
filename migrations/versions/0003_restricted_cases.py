"""Restricted cases.

Adds cases.restricted: a restricted case (e.g. child safety) is seen only by its owner,
program managers and admins. Existing cases stay unrestricted.

Revision ID: 9aac20369b32
Revises: b43adacb0d2e
Create Date: 2026-11-24 15:26:34.038643

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9aac20369b32'
down_revision = 'b43adacb0d2e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restricted', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('restricted')

