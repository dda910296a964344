"""API rate-limit counters and idempotency keys.

api_rate_counters holds how many API requests each client address and each token made in
a fixed window of time, so that every worker and every app server counts the same; its
primary key (window_start, bucket) makes the increment one atomic upsert and the expired
windows one range to delete. api_idempotency_keys holds the Idempotency-Key a token sent
with a POST, a hash of that request and, once known, its answer (status, body, headers),
unique per token; expires_at is indexed for deleting old keys.

Revision ID: 0010_api_limits_and_idempotency
Revises: 0009_owner_queue_indexes
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_api_limits_and_idempotency'
down_revision = '0009_owner_queue_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_rate_counters',
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bucket', sa.String(length=80), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('window_start', 'bucket', name=op.f('pk_api_rate_counters'))
    )
    op.create_table('api_idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'],
                            name=op.f('fk_api_idempotency_keys_token_id_api_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency_keys')),
    sa.UniqueConstraint('token_id', 'key', name=op.f('uq_api_idempotency_keys_token_id_key'))
    )
    op.create_index(op.f('ix_api_idempotency_keys_expires_at'), 'api_idempotency_keys',
                    ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_api_idempotency_keys_expires_at'),
                  table_name='api_idempotency_keys')
    op.drop_table('api_idempotency_keys')
    op.drop_table('api_rate_counters')
