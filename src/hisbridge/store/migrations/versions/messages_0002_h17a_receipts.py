"""messages branch: each doctor's own read/handled state (message_receipts)

Revision ID: messages_0002_h17a
Revises: messages_0002_htime

The read state used to sit on the message itself (``messages.read_at``/``read_by``), shared by
everyone who could see it. It moves to ``message_receipts``, one row per (message, doctor).
A message read before the upgrade stays read for its addressee (``messages.user_id``); a
department-wide message (no addressee) stays read for the doctor who read it (``read_by``).
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "messages_0002_h17a"
down_revision = "messages_0002_htime"
branch_labels = None
depends_on = None

_MOVE = """
INSERT INTO message_receipts (msg_id, user_id, read_at, read_by)
SELECT msg_id, COALESCE(user_id, read_by), read_at, COALESCE(read_by, user_id)
FROM messages
WHERE read_at IS NOT NULL AND COALESCE(user_id, read_by) IS NOT NULL
"""

_BACK = """
UPDATE messages SET
  read_at = (SELECT MIN(r.read_at) FROM message_receipts r WHERE r.msg_id = messages.msg_id),
  read_by = (SELECT MIN(r.read_by) FROM message_receipts r WHERE r.msg_id = messages.msg_id)
"""


def upgrade() -> None:
    op.create_table(
        "message_receipts",
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_by", sa.String(length=64), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["msg_id"], ["messages.msg_id"], name=op.f("fk_message_receipts_msg_id_messages")
        ),
        sa.PrimaryKeyConstraint("msg_id", "user_id", name=op.f("pk_message_receipts")),
    )
    op.execute(_MOVE)
    _drop_old_columns()


def _drop_old_columns() -> None:
    """Drop ``messages.read_at``/``read_by`` in place. SQLite's batch mode would copy and drop
    ``messages``, which the receipts and webhook rows point at, so SQLite uses its own
    ``DROP COLUMN`` (3.35+); an older SQLite keeps the two unused, nullable columns."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_column("messages", "read_by")
        op.drop_column("messages", "read_at")
    elif sqlite3.sqlite_version_info >= (3, 35):
        op.execute("ALTER TABLE messages DROP COLUMN read_by")
        op.execute("ALTER TABLE messages DROP COLUMN read_at")


def downgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("messages")}
    if "read_at" not in columns:
        op.add_column("messages", sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column("messages", sa.Column("read_by", sa.String(length=64), nullable=True))
    op.execute(_BACK)
    op.drop_table("message_receipts")
