"""The warning-message store: messages read back from the front-end and what serves them.

- ``messages``: one row per front-end message, keyed by its ``msg_id``; ``seq`` is the
  front-end's strictly increasing sequence, so the order of arrival is the order of ``seq``.
- ``message_receipts``: each doctor's own state of a message (read, handled), with who changed
  it and when. The state belongs to the addressee (``messages.user_id``); a department-wide
  message (no ``user_id``) has one row per doctor who acted on it.
- ``message_poll_state``: the poller's persisted cursor and health (last good poll, failures).
- ``message_poller_lease``: the single-poller lease; one row per poller name, held by one node
  until ``expires_at`` (Unix seconds). Works the same on SQLite and PostgreSQL.
- ``frontend_secret_keys``: the cached API secret key, sealed (never stored or logged in clear).
- ``message_webhook_deliveries``: one row per message to push to the HIS webhook, with retries.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from hisbridge.store.schema import ID, TIMESTAMP, metadata

__all__ = [
    "WEBHOOK_STATES",
    "frontend_secret_keys",
    "message_poll_state",
    "message_poller_lease",
    "message_receipts",
    "message_webhook_deliveries",
    "messages",
]

WEBHOOK_STATES = ("pending", "sending", "delivered", "retry_wait", "dead")

_Id = ID
_TS = TIMESTAMP

messages = Table(
    "messages",
    metadata,
    Column("msg_id", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(64), nullable=False),
    Column("level", String(32), nullable=False),
    Column("title", String(500), nullable=False),
    Column("content", Text, nullable=False),
    Column("patient_id", String(64), nullable=True),
    Column("serial_number", String(64), nullable=True),
    Column("org_code", String(64), nullable=True),
    Column("dept_code", String(64), nullable=True),
    Column("user_id", String(64), nullable=True),
    Column("create_time", String(32), nullable=True),
    Column("polled_at", _TS, nullable=False),
    Column("raw", Text, nullable=False),
)
Index("ix_messages_seq", messages.c.seq, unique=True)
Index("ix_messages_user_id_seq", messages.c.user_id, messages.c.seq)
Index("ix_messages_dept_code_seq", messages.c.dept_code, messages.c.seq)

message_receipts = Table(
    "message_receipts",
    metadata,
    Column("msg_id", String(64), ForeignKey("messages.msg_id"), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("read_at", _TS, nullable=True),
    Column("read_by", String(64), nullable=True),
    Column("handled_at", _TS, nullable=True),
    Column("handled_by", String(64), nullable=True),
)

message_poll_state = Table(
    "message_poll_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("cursor", String(200), nullable=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_ok_at", _TS, nullable=True),
    Column("last_attempt_at", _TS, nullable=True),
    Column("failures", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
)

message_poller_lease = Table(
    "message_poller_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", Float, nullable=False),
)

frontend_secret_keys = Table(
    "frontend_secret_keys",
    metadata,
    Column("purpose", String(32), primary_key=True),
    Column("sealed", Text, nullable=False),
    Column("obtained_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

message_webhook_deliveries = Table(
    "message_webhook_deliveries",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("msg_id", String(64), ForeignKey("messages.msg_id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("claimed_until", Float, nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", _TS, nullable=True),
    CheckConstraint(
        "state IN ('pending', 'sending', 'delivered', 'retry_wait', 'dead')", name="state"
    ),
)
Index(
    "ix_message_webhook_deliveries_state_next_attempt_at",
    message_webhook_deliveries.c.state,
    message_webhook_deliveries.c.next_attempt_at,
)
Index("ix_message_webhook_deliveries_msg_id", message_webhook_deliveries.c.msg_id, unique=True)
