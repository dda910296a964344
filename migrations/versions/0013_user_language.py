"""Each user can choose the language Casework is shown in.

users.language holds "de" or "en"; NULL (every existing user) follows the browser's
Accept-Language as before.

Revision ID: 0013_user_language
Revises: 0012_no_replace_health_probe
Create Date: 2026-11-30 12:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_user_language'
down_revision = '0012_no_replace_health_probe'
branch_labels = None
depends_on = None


def upgrade():
    # batch: SQLite cannot add a CHECK constraint to an existing table.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'language',
            sa.Enum('de', 'en', name='language', native_enum=False, create_constraint=True),
            nullable=True))


def downgrade():
    # The CHECK goes first: SQLite's batch rebuild would otherwise copy it to the new
    # table without its column.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_language'), type_='check')
        batch_op.drop_column('language')
