"""learning loop: the taxonomy version of each review, the model's uncertainty per item

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taxonomy_version', sa.String(length=32), nullable=True))
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uncertainty', sa.Float(), nullable=True))
        batch_op.create_index('ix_feedback_uncertainty', ['uncertainty'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_uncertainty')
        batch_op.drop_column('uncertainty')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_column('taxonomy_version')
