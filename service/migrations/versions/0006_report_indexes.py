"""indexes for the periodic report: received_at (the period of every count) and
(status, reviewed_at) (items closed in the period; reviewed_at alone would tempt SQLite's
planner into an index search for reviewed_at IS NULL)

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_feedback_received_at', 'feedback', ['received_at'])
    op.create_index('ix_feedback_status_reviewed_at', 'feedback', ['status', 'reviewed_at'])


def downgrade() -> None:
    op.drop_index('ix_feedback_status_reviewed_at', table_name='feedback')
    op.drop_index('ix_feedback_received_at', table_name='feedback')
