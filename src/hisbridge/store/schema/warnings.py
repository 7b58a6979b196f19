"""The warning store: the front-end's warning messages read back, and what serves them.

- ``warning_messages``: one row per front-end message, keyed by its ``msg_id``; ``seq`` is the
  front-end's strictly increasing sequence, so the order of arrival is the order of ``seq``
  (per ``institution``: each institution of a hospital group polls its own licence).
- ``warning_receipts``: each doctor's own state of a warning (read, handled), with who changed
  it and when. The state belongs to the addressee (``warning_messages.user_id``); a
  department-wide warning (no ``user_id``) has one row per doctor who acted on it.
- ``warning_poll_state``: the poller's persisted cursor and health (last good poll, failures).
- ``warning_poller_lease``: the single-poller lease; one row per poller name, held by one node
  until ``expires_at`` (Unix seconds). Works the same on SQLite and PostgreSQL.
- ``frontend_secret_keys``: the cached API secret key, one per institution, sealed (never
  stored or logged in clear).
- ``warning_webhook_deliveries``: one durable-queue entry (``hisbridge.store.schema.queue``) per
  warning to push to the HIS webhook; the same states, leases and retries as the outbox.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
from hisbridge.store.schema.queue import queue_columns, queue_indexes

__all__ = [
    "frontend_secret_keys",
    "warning_messages",
    "warning_poll_state",
    "warning_poller_lease",
    "warning_receipts",
    "warning_webhook_deliveries",
]

_Id = ID
_TS = TIMESTAMP

warning_messages = Table(
    "warning_messages",
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
    # The organisation code of the institution whose poller stored it (a hospital group's
    # institutions each poll their own licence); NULL: the single institution, before groups.
    Column("institution", String(50), nullable=True),
)
_m = warning_messages.c
Index("ix_warning_messages_institution_seq", _m.institution, _m.seq, unique=True)  # seq per front-end
Index("ix_warning_messages_user_id_seq", _m.user_id, _m.seq)
Index("ix_warning_messages_dept_code_seq", _m.dept_code, _m.seq)

warning_receipts = Table(
    "warning_receipts",
    metadata,
    Column("msg_id", String(64), ForeignKey("warning_messages.msg_id"), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("read_at", _TS, nullable=True),
    Column("read_by", String(64), nullable=True),
    Column("handled_at", _TS, nullable=True),
    Column("handled_by", String(64), nullable=True),
)

warning_poll_state = Table(
    "warning_poll_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("cursor", String(200), nullable=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_ok_at", _TS, nullable=True),
    Column("last_attempt_at", _TS, nullable=True),
    Column("failures", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
)

warning_poller_lease = Table(
    "warning_poller_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", Float, nullable=False),
)

frontend_secret_keys = Table(
    "frontend_secret_keys",
    metadata,
    Column("purpose", String(64), primary_key=True),  # message | message:<org_code>
    Column("sealed", Text, nullable=False),
    Column("obtained_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

warning_webhook_deliveries = Table(
    "warning_webhook_deliveries",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("msg_id", String(64), ForeignKey("warning_messages.msg_id"), nullable=False),
    *queue_columns(),
)
queue_indexes(warning_webhook_deliveries)
Index("ix_warning_webhook_deliveries_msg_id", warning_webhook_deliveries.c.msg_id, unique=True)
