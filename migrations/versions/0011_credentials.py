"""API tokens that expire, and no token of a deactivated user left to come back.

api_tokens.expires_at: after it the token is refused like a revoked one (NULL: no end).
Deactivating a user now revokes their tokens; before, the tokens were only refused while
the user was inactive and worked again after a reactivation. The tokens of users who are
deactivated today are revoked here, so no reactivation brings them back. The downgrade
drops the column; those tokens stay revoked.

Revision ID: 0011_credentials
Revises: 0010_api_limits_and_idempotency
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_credentials'
down_revision = '0010_api_limits_and_idempotency'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))

    tokens = sa.table('api_tokens', sa.column('user_id', sa.Integer()),
                      sa.column('revoked_at', sa.DateTime(timezone=True)))
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('active', sa.Boolean()))
    op.execute(
        tokens.update()
        .where(tokens.c.revoked_at.is_(None))
        .where(tokens.c.user_id.in_(sa.select(users.c.id).where(users.c.active == sa.false())))
        .values(revoked_at=sa.func.current_timestamp())
    )


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
