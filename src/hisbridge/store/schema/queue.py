"""The columns every durable queue table carries (the outbox, the HIS webhook deliveries).

- ``state``: a closed enum, ``STATES``; ``pending`` -> ``in_flight`` (claimed under a worker's
  lease) -> ``delivered``, ``retry_wait`` (due again at ``next_attempt_at``) or ``dead``.
- ``attempts``: attempts started, counted when an entry is claimed.
- ``claimed_by``/``lease_expires_at``: the worker holding an ``in_flight`` entry, and until when.
- ``finished_at``, ``last_error`` (the reason), ``error_code``, ``last_reply``, ``note``.

``hisbridge.store.queue`` is the one implementation of claim, complete, retry and dead over them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table, Text

from hisbridge.store.schema import TIMESTAMP

__all__ = ["STATES", "UNFINISHED", "queue_columns", "queue_indexes"]

STATES = ("pending", "in_flight", "delivered", "retry_wait", "dead")
UNFINISHED = ("pending", "in_flight", "retry_wait")


def queue_columns() -> list[Any]:
    """The queue's columns and its state check, to spread into a ``Table``."""
    return [
        Column("state", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", TIMESTAMP, nullable=False),
        Column("next_attempt_at", TIMESTAMP, nullable=False),
        Column("claimed_by", String(100), nullable=True),
        Column("lease_expires_at", TIMESTAMP, nullable=True),
        Column("finished_at", TIMESTAMP, nullable=True),
        Column("last_error", Text, nullable=True),
        Column("error_code", String(16), nullable=True),
        Column("last_reply", Text, nullable=True),
        Column("note", String(200), nullable=True),
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name="state"),
    ]


def queue_indexes(table: Table) -> None:
    """Claiming reads pending entries by (state, id) and due retries by (state, next_attempt_at)."""
    c = table.c
    Index(f"ix_{table.name}_state_id", c.state, c.id)
    Index(f"ix_{table.name}_state_next_attempt_at", c.state, c.next_attempt_at)
