"""reporter key: a keyed hash of the submitter's identity, to count distinct reporters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submitter_identity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporter_key', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('submitter_identity', schema=None) as batch_op:
        batch_op.drop_column('reporter_key')
