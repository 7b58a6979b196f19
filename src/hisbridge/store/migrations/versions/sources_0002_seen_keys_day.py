"""Sources branch: index source_seen_keys by day, so retention deletes past days cheaply.

Revision ID: sources_0002
Revises: sources_0001
"""

from __future__ import annotations

from alembic import op

revision = "sources_0002"
down_revision = "sources_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_seen_keys", schema=None) as batch_op:
        batch_op.create_index("ix_source_seen_keys_day", ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("source_seen_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_source_seen_keys_day")
