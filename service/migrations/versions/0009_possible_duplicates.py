"""possible duplicates: earlier items the verifier thinks may be the same case (not linked)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('possible_duplicates', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('possible_duplicates')
