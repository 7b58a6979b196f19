"""Messages branch: times in UTC. Poll, read and webhook times were written as China time,
which SQLite kept as Beijing wall time; they become UTC (PostgreSQL needs nothing). The
front-end's own ``create_time`` text stays as the front-end sent it (Beijing time).

Revision ID: messages_0002_htime
Revises: messages_0001
"""

from __future__ import annotations

from alembic import op

from hisbridge.store.utc_shift import CHINA_OFFSET_HOURS, shift_tables

revision = "messages_0002_htime"
down_revision = "messages_0001"
branch_labels = None
depends_on = None

TIMESTAMPS = {
    "messages": ("polled_at", "read_at"),
    "message_poll_state": ("last_ok_at", "last_attempt_at"),
    "message_webhook_deliveries": ("delivered_at",),
}


def upgrade() -> None:
    shift_tables(op.get_bind(), TIMESTAMPS, hours=-CHINA_OFFSET_HOURS)


def downgrade() -> None:
    shift_tables(op.get_bind(), TIMESTAMPS, hours=CHINA_OFFSET_HOURS)
