"""messages branch: one name for the warning tables; webhook deliveries on the shared queue

Revision ID: messages_0003_h18a
Revises: messages_0002_h17a

The tables take the concept's name (``messages`` -> ``warning_messages``, ``message_receipts``
-> ``warning_receipts``, ``message_poll_state`` -> ``warning_poll_state``,
``message_poller_lease`` -> ``warning_poller_lease``). Each is created under its new name with
its indexes and constraints named after it, filled from the old one and the old one dropped:
the same steps on SQLite, PostgreSQL and MariaDB, and constraint names that match the schema.

``message_webhook_deliveries`` becomes ``warning_webhook_deliveries``, a durable-queue table
like the outbox (``hisbridge.store.schema.queue``). Every row moves: ``sending`` is
``in_flight`` under a lease that ends when the old claim did (its attempt counted, as the queue
counts a claimed attempt), ``pending``/``retry_wait``/``delivered``/``dead`` keep their state,
Unix-second floats become UTC times, ``delivered_at`` is ``finished_at``, a failed delivery's
``last_status`` is its ``error_code`` (the HTTP status, as the sender writes it now; a delivered
one's 2xx is not kept, as the queue keeps no code for success) and a dead delivery keeps its
reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from hisbridge.store.times import UtcDateTime

revision = "messages_0003_h18a"
down_revision = "messages_0002_h17a"
branch_labels = None
depends_on = None

RENAMED = {"messages": "warning_messages", "message_receipts": "warning_receipts",
           "message_poll_state": "warning_poll_state",
           "message_poller_lease": "warning_poller_lease"}
COLUMNS = {
    "messages": ("msg_id", "seq", "type", "level", "title", "content", "patient_id",
                 "serial_number", "org_code", "dept_code", "user_id", "create_time", "polled_at",
                 "raw"),
    "message_receipts": ("msg_id", "user_id", "read_at", "read_by", "handled_at", "handled_by"),
    "message_poll_state": ("name", "cursor", "last_seq", "last_ok_at", "last_attempt_at",
                           "failures", "last_error"),
    "message_poller_lease": ("name", "holder", "expires_at"),
}
OLD_HOOKS, NEW_HOOKS = "message_webhook_deliveries", "warning_webhook_deliveries"
QUEUE_STATES = "state IN ('pending', 'in_flight', 'delivered', 'retry_wait', 'dead')"
OLD_STATES = "state IN ('pending', 'sending', 'delivered', 'retry_wait', 'dead')"
CLAIMED_BY = "before-upgrade"
DEAD = "dead before the upgrade (no reason kept)"
BATCH = 1000
_TS = sa.DateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_old_hooks = sa.table(
    OLD_HOOKS, sa.column("id", sa.Integer), sa.column("msg_id", sa.String),
    sa.column("state", sa.String), sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", sa.Float), sa.column("claimed_until", sa.Float),
    sa.column("last_status", sa.Integer), sa.column("last_error", sa.Text),
    sa.column("delivered_at", UtcDateTime()))
_new_hooks = sa.table(
    NEW_HOOKS, sa.column("id", sa.Integer), sa.column("msg_id", sa.String),
    sa.column("state", sa.String),
    sa.column("attempts", sa.Integer), sa.column("created_at", UtcDateTime()),
    sa.column("next_attempt_at", UtcDateTime()), sa.column("claimed_by", sa.String),
    sa.column("lease_expires_at", UtcDateTime()), sa.column("finished_at", UtcDateTime()),
    sa.column("last_error", sa.Text), sa.column("error_code", sa.String),
    sa.column("last_reply", sa.Text), sa.column("note", sa.String))


def upgrade() -> None:
    _create_warning_tables()
    for old, new in RENAMED.items():
        _copy(old, new, COLUMNS[old])
    _create_hooks(NEW_HOOKS, "warning_messages", queue=True)
    _move(_old_hooks, _new_hooks, _to_queue, "warning_messages")
    op.drop_table(OLD_HOOKS)
    for old in ("message_receipts", "messages", "message_poll_state", "message_poller_lease"):
        op.drop_table(old)
    _index_messages("warning_messages")


def downgrade() -> None:
    _create_old_tables()
    for old, new in RENAMED.items():
        _copy(new, old, COLUMNS[old])
    _create_hooks(OLD_HOOKS, "messages", queue=False)
    _move(_new_hooks, _old_hooks, _from_queue, "messages")
    op.drop_table(NEW_HOOKS)
    for new in ("warning_receipts", "warning_messages", "warning_poll_state",
                "warning_poller_lease"):
        op.drop_table(new)
    _index_messages("messages")


def _copy(source: str, target: str, columns: tuple[str, ...]) -> None:
    """Every row of ``source`` into ``target``, in the database (quoted by SQLAlchemy)."""
    cols: list[sa.ColumnClause[Any]] = [sa.column(c) for c in columns]
    op.execute(sa.table(target, *cols).insert().from_select(
        columns, sa.select(*[sa.column(c) for c in columns]).select_from(sa.table(source))))


def _move(source: Any, target: Any, convert: Callable[[Any, datetime], dict[str, Any]],
          messages: str) -> None:
    """Every webhook delivery, converted in batches in id order (the new ids keep that order)."""
    conn = op.get_bind()
    now = datetime.now(UTC)
    for rows in _batches(conn, source, messages):
        conn.execute(target.insert(), [convert(row, now) for row in rows])


def _batches(conn: Any, source: Any, messages: str) -> Iterator[list[Any]]:
    polled = sa.table(messages, sa.column("msg_id", sa.String),
                      sa.column("polled_at", UtcDateTime()))
    query = (sa.select(source, polled.c.polled_at)
             .join(polled, polled.c.msg_id == source.c.msg_id)
             .order_by(source.c.id).limit(BATCH))
    last = -1
    while rows := conn.execute(query.where(source.c.id > last)).all():
        yield rows
        last = rows[-1].id


def _stamp(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _to_queue(row: Any, now: datetime) -> dict[str, Any]:
    sending = row.state == "sending"
    failed = row.last_error is not None or row.state == "dead"
    return {
        "msg_id": row.msg_id,
        "state": "in_flight" if sending else row.state,
        "attempts": row.attempts + 1 if sending else row.attempts,
        "created_at": row.polled_at, "next_attempt_at": _stamp(row.next_attempt_at),
        "claimed_by": CLAIMED_BY if sending else None,
        "lease_expires_at": (_stamp(row.claimed_until) or now) if sending else None,
        "finished_at": row.delivered_at,
        "last_error": (row.last_error or DEAD) if failed else None,
        "error_code": str(row.last_status) if failed and row.last_status else None,
        "last_reply": None, "note": None,
    }


def _status(code: str | None) -> int | None:
    return int(code) if code and code.isdigit() else None


def _from_queue(row: Any, now: datetime) -> dict[str, Any]:
    claimed = row.state == "in_flight"
    return {
        "msg_id": row.msg_id, "state": "sending" if claimed else row.state,
        "attempts": max(row.attempts - 1, 0) if claimed else row.attempts,
        "next_attempt_at": row.next_attempt_at.timestamp(),
        "claimed_until": row.lease_expires_at.timestamp() if row.lease_expires_at else None,
        "last_status": _status(row.error_code), "last_error": row.last_error,
        "delivered_at": row.finished_at if row.state == "delivered" else None,
    }


def _create_hooks(name: str, messages: str, *, queue: bool) -> None:
    if queue:
        op.create_table(
            name,
            sa.Column("id", _ID, autoincrement=True, nullable=False),
            sa.Column("msg_id", sa.String(length=64), nullable=False),
            sa.Column("state", sa.String(length=16), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("created_at", _TS, nullable=False),
            sa.Column("next_attempt_at", _TS, nullable=False),
            sa.Column("claimed_by", sa.String(length=100), nullable=True),
            sa.Column("lease_expires_at", _TS, nullable=True),
            sa.Column("finished_at", _TS, nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("error_code", sa.String(length=16), nullable=True),
            sa.Column("last_reply", sa.Text(), nullable=True),
            sa.Column("note", sa.String(length=200), nullable=True),
            *_keys(name, messages, QUEUE_STATES))
        op.create_index(f"ix_{name}_state_id", name, ["state", "id"])
    else:
        op.create_table(
            name,
            sa.Column("id", _ID, autoincrement=True, nullable=False),
            sa.Column("msg_id", sa.String(length=64), nullable=False),
            sa.Column("state", sa.String(length=16), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.Float(), nullable=False),
            sa.Column("claimed_until", sa.Float(), nullable=True),
            sa.Column("last_status", sa.Integer(), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("delivered_at", _TS, nullable=True),
            *_keys(name, messages, OLD_STATES))
    op.create_index(f"ix_{name}_state_next_attempt_at", name, ["state", "next_attempt_at"])
    op.create_index(f"ix_{name}_msg_id", name, ["msg_id"], unique=True)


def _keys(name: str, messages: str, states: str) -> list[Any]:
    return [sa.CheckConstraint(states, name=op.f(f"ck_{name}_state")),
            sa.ForeignKeyConstraint(["msg_id"], [f"{messages}.msg_id"],
                                    name=op.f(f"fk_{name}_msg_id_{messages}")),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}"))]


def _create_warning_tables() -> None:
    _create_four("warning_messages", "warning_receipts", "warning_poll_state",
                 "warning_poller_lease")


def _create_old_tables() -> None:
    _create_four("messages", "message_receipts", "message_poll_state", "message_poller_lease")


def _create_four(messages: str, receipts: str, poll_state: str, lease: str) -> None:
    """The four renamed tables as the schema declares them (indexes come after the copy)."""
    op.create_table(
        messages,
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
        sa.Column("polled_at", _TS, nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("msg_id", name=op.f(f"pk_{messages}")),
    )
    op.create_table(
        receipts,
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("read_at", _TS, nullable=True),
        sa.Column("read_by", sa.String(length=64), nullable=True),
        sa.Column("handled_at", _TS, nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["msg_id"], [f"{messages}.msg_id"],
                                name=op.f(f"fk_{receipts}_msg_id_{messages}")),
        sa.PrimaryKeyConstraint("msg_id", "user_id", name=op.f(f"pk_{receipts}")),
    )
    op.create_table(
        poll_state,
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_ok_at", _TS, nullable=True),
        sa.Column("last_attempt_at", _TS, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f(f"pk_{poll_state}")),
    )
    op.create_table(
        lease,
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f(f"pk_{lease}")),
    )


def _index_messages(name: str) -> None:
    op.create_index(f"ix_{name}_seq", name, ["seq"], unique=True)
    op.create_index(f"ix_{name}_user_id_seq", name, ["user_id", "seq"])
    op.create_index(f"ix_{name}_dept_code_seq", name, ["dept_code", "seq"])
