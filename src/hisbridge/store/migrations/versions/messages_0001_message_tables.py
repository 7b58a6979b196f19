"""messages branch: messages, poll state, poller lease, secret keys, webhook deliveries

Revision ID: messages_0001
Revises: (none; first revision of the messages branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "messages_0001"
down_revision = None
branch_labels = ("messages",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frontend_secret_keys",
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("obtained_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("purpose", name=op.f("pk_frontend_secret_keys")),
    )
    op.create_table(
        "message_poll_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_message_poll_state")),
    )
    op.create_table(
        "message_poller_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_message_poller_lease")),
    )
    op.create_table(
        "messages",
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=True),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("org_code", sa.String(length=64), nullable=True),
        sa.Column("dept_code", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("create_time", sa.String(length=32), nullable=True),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_by", sa.String(length=64), nullable=True),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("msg_id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_dept_code_seq", ["dept_code", "seq"], unique=False)
        batch_op.create_index("ix_messages_seq", ["seq"], unique=True)
        batch_op.create_index("ix_messages_user_id_seq", ["user_id", "seq"], unique=False)

    op.create_table(
        "message_webhook_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("claimed_until", sa.Float(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'delivered', 'retry_wait', 'dead')",
            name=op.f("ck_message_webhook_deliveries_state"),
        ),
        sa.ForeignKeyConstraint(
            ["msg_id"],
            ["messages.msg_id"],
            name=op.f("fk_message_webhook_deliveries_msg_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_webhook_deliveries")),
    )
    with op.batch_alter_table("message_webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_message_webhook_deliveries_msg_id", ["msg_id"], unique=True)
        batch_op.create_index(
            "ix_message_webhook_deliveries_state_next_attempt_at",
            ["state", "next_attempt_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("message_webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_message_webhook_deliveries_state_next_attempt_at")
        batch_op.drop_index("ix_message_webhook_deliveries_msg_id")

    op.drop_table("message_webhook_deliveries")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_user_id_seq")
        batch_op.drop_index("ix_messages_seq")
        batch_op.drop_index("ix_messages_dept_code_seq")

    op.drop_table("messages")
    op.drop_table("message_poller_lease")
    op.drop_table("message_poll_state")
    op.drop_table("frontend_secret_keys")
