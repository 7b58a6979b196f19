"""The HIS webhook's deliveries: one entry per warning on the shared durable queue.

``enqueue`` adds a warning's entry in the caller's transaction (the poller stores a warning and
queues its delivery together, so none is lost). ``webhook_queue`` is the queue the sender
claims from (``hisbridge.store.queue``: the outbox's states, leases and retries).
``dead_webhooks`` lists the deliveries given up, with the reason, for ``hisbridge outbox
webhooks`` and the console's dead letters; ``requeue_dead`` sends them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert

from hisbridge._clock import Clock, system_clock
from hisbridge.privacy import scrub
from hisbridge.store.queries import dead_dict
from hisbridge.store.queue import DurableQueue
from hisbridge.store.schema.warnings import warning_webhook_deliveries

__all__ = ["DeadWebhook", "dead_webhooks", "enqueue", "requeue_dead", "webhook_queue"]


def webhook_queue(engine: Engine, clock: Clock = system_clock) -> DurableQueue:
    """The queue of HIS webhook deliveries."""
    return DurableQueue(engine, warning_webhook_deliveries, clock=clock)


def enqueue(conn: Connection, msg_id: str, now: datetime) -> None:
    """Queue the delivery of warning ``msg_id``, due now, in ``conn``'s transaction."""
    conn.execute(insert(warning_webhook_deliveries).values(
        msg_id=msg_id, state="pending", attempts=0, created_at=now, next_attempt_at=now))


@dataclass(frozen=True, slots=True)
class DeadWebhook:
    """A warning the HIS webhook never accepted, and why (ID numbers and phones masked)."""

    delivery_id: int
    msg_id: str
    attempts: int
    reason: str
    error_code: str | None
    reply: str | None
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return dead_dict(self)


def dead_webhooks(engine: Engine, limit: int = 100) -> list[DeadWebhook]:
    """Dead webhook deliveries, newest first, with the reason and the HIS's last reply."""
    return [DeadWebhook(r.id, r.msg_id, r.attempts, scrub(r.last_error or ""), r.error_code,
                        scrub(r.last_reply) if r.last_reply else None, r.finished_at)
            for r in webhook_queue(engine).dead(limit)]


def requeue_dead(engine: Engine, clock: Clock = system_clock,
                 ids: Sequence[int] | None = None) -> int:
    """Send dead webhook deliveries (all, or ``ids``) again; how many were requeued."""
    return webhook_queue(engine, clock).requeue_dead(ids)
