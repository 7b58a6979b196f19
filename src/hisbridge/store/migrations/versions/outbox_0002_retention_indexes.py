"""Outbox branch: indexes for retention (finished entries by age, replays pointing back).

Revision ID: outbox_0002
Revises: outbox_0001

Adds indexes only; no row is touched, so queued entries are kept as they are.
"""

from __future__ import annotations

from alembic import op

revision = "outbox_0002"
down_revision = "outbox_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_finished_at_id", ["finished_at", "id"], unique=False)
        batch_op.create_index("ix_outbox_replay_of", ["replay_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_replay_of")
        batch_op.drop_index("ix_outbox_finished_at_id")
