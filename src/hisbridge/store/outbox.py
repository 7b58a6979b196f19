"""The outbox queue: claim work, record outcomes, return leases.

Claiming is one statement: ``UPDATE outbox ... WHERE id IN (SELECT ... LIMIT n)``; on PostgreSQL
the inner select is ``FOR UPDATE SKIP LOCKED`` so several processes or nodes share one store
without double sends. A claimed entry is ``in_flight`` with a lease; a worker that dies
(SIGKILL) loses its lease and the entry returns to ``pending`` when the lease expires.

An entry is claimable when it is due, no earlier version of the same (table, id) is unfinished
(strict version order), and its parent record has a delivered version, or the entry has waited
longer than ``parent_wait_s``: then it is handed out with the note ``parent_wait_exceeded`` and
the worker sends it anyway or dead-letters it, per its ``on_parent_timeout`` setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, case, exists, or_, select, tuple_, update

from hisbridge import _json
from hisbridge._clock import Clock, system_clock
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.delivery.retry import Decision
from hisbridge.store.schema.outbox import attempts, outbox, record_keys, records
from hisbridge.store.times import from_store, to_store

__all__ = ["PARENT_LATE", "Completion", "OutboxQueue"]

PARENT_LATE = "parent_wait_exceeded"
_UNFINISHED = ("pending", "in_flight", "retry_wait")
_DUE = ("pending", "retry_wait")


@dataclass(frozen=True, slots=True)
class Completion:
    """One finished attempt: the item, what the receiver said and what the policy decided."""

    item: DeliveryItem
    outcome: Outcome
    decision: Decision
    started_at: datetime


class OutboxQueue:
    """Queue operations over a migrated store; every method is one short transaction."""

    def __init__(self, engine: Engine, *, clock: Clock = system_clock,
                 parent_wait_s: float = 600.0) -> None:
        self.engine = engine
        self.clock = clock
        self.parent_wait_s = parent_wait_s
        self._skip_locked = engine.dialect.name == "postgresql"

    def claim(self, worker: str, limit: int, lease_s: float) -> list[DeliveryItem]:
        """Up to ``limit`` due entries, now ``in_flight`` under ``worker``'s lease."""
        now = to_store(self.clock.now())
        o = outbox.c
        statement = (
            update(outbox)
            .where(o.id.in_(self._candidates(now, limit).scalar_subquery()))
            .values(state="in_flight", claimed_by=worker,
                    lease_expires_at=now + timedelta(seconds=lease_s), attempts=o.attempts + 1)
            .returning(o.id, o.table_name, o.record_id, o.version, o.op, o.attempts,
                       o.created_at, o.parent_table, o.parent_id, o.note)
        )
        with self.engine.begin() as conn:
            claimed = conn.execute(statement).all()
            if not claimed:
                return []
            payloads = self._payloads(conn, claimed)
            late = self._late_children(conn, claimed, now)
        items = [self._item(row, payloads, late) for row in claimed]
        return sorted(items, key=lambda i: i.outbox_id)

    def _candidates(self, now: datetime, limit: int) -> Any:
        o = outbox.alias("o")
        earlier = outbox.alias("earlier")
        k = record_keys.alias("k")
        unfinished_before = exists().where(
            earlier.c.table_name == o.c.table_name, earlier.c.record_id == o.c.record_id,
            earlier.c.id < o.c.id, earlier.c.state.in_(_UNFINISHED))
        parent_delivered = exists().where(
            k.c.table_name == o.c.parent_table, k.c.record_id == o.c.parent_id,
            k.c.delivered_version.is_not(None))
        deadline = now - timedelta(seconds=self.parent_wait_s)
        query = (
            select(o.c.id)
            .where(o.c.state.in_(_DUE), o.c.next_attempt_at <= now, ~unfinished_before,
                   or_(o.c.parent_id.is_(None), o.c.created_at <= deadline, parent_delivered))
            .order_by(o.c.id)
            .limit(limit)
        )
        return query.with_for_update(skip_locked=True, of=o) if self._skip_locked else query

    def _payloads(self, conn: Any, rows: Sequence[Any]) -> dict[tuple[str, str, int], str]:
        r = records.c
        keys = [(row.table_name, row.record_id, row.version) for row in rows]
        query = select(r.table_name, r.record_id, r.version, r.payload).where(
            tuple_(r.table_name, r.record_id, r.version).in_(keys))
        return {(t, i, v): p for t, i, v, p in conn.execute(query)}

    def _late_children(self, conn: Any, rows: Sequence[Any], now: datetime) -> set[int]:
        deadline = now - timedelta(seconds=self.parent_wait_s)
        waiting = [row for row in rows
                   if row.parent_id is not None and from_store(row.created_at) <= deadline]  # type: ignore[operator]
        if not waiting:
            return set()
        k = record_keys.c
        parents = {(row.parent_table, row.parent_id) for row in waiting}
        delivered = {(t, i) for t, i in conn.execute(
            select(k.table_name, k.record_id).where(
                tuple_(k.table_name, k.record_id).in_(list(parents)),
                k.delivered_version.is_not(None)))}
        return {row.id for row in waiting if (row.parent_table, row.parent_id) not in delivered}

    def _item(self, row: Any, payloads: dict[tuple[str, str, int], str],
              late: set[int]) -> DeliveryItem:
        payload = payloads.get((row.table_name, row.record_id, row.version), "{}")
        return DeliveryItem(
            outbox_id=row.id, table=row.table_name, record_id=row.record_id,
            version=row.version, op=row.op, record=_json.loads(payload),
            attempt_no=row.attempts, received_at=from_store(row.created_at),  # type: ignore[arg-type]
            note=PARENT_LATE if row.id in late else row.note)

    def reclaim_expired(self) -> int:
        """Return entries whose lease expired (their worker died) to ``pending``."""
        now = to_store(self.clock.now())
        o = outbox.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(o.state == "in_flight", o.lease_expires_at < now)
                .values(state="pending", claimed_by=None, lease_expires_at=None,
                        next_attempt_at=now, note="lease expired; worker lost"))
        return int(result.rowcount or 0)

    def release(self, worker: str, ids: Sequence[int]) -> None:
        """Give back entries claimed but not sent (shutdown): pending again, attempt not counted."""
        if not ids:
            return
        o = outbox.c
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(o.id.in_(list(ids)), o.state == "in_flight", o.claimed_by == worker)
                .values(state="pending", claimed_by=None, lease_expires_at=None,
                        attempts=o.attempts - 1))

    def complete(self, worker: str, target: str, done: Sequence[Completion]) -> None:
        """Record the attempts and move each entry to delivered, retry_wait or dead."""
        if not done:
            return
        now = to_store(self.clock.now())
        with self.engine.begin() as conn:
            conn.execute(attempts.insert(), [_attempt_row(c, worker, target) for c in done])
            self._finish(conn, worker, now, [c for c in done if c.decision.action == "delivered"])
            self._retry(conn, worker, [c for c in done if c.decision.action == "retry"])
            self._dead(conn, worker, now, [c for c in done if c.decision.action == "dead"])

    def _finish(self, conn: Any, worker: str, now: datetime, done: list[Completion]) -> None:
        if not done:
            return
        o, k = outbox.c, record_keys.c
        conn.execute(
            update(outbox)
            .where(o.id == bindparam("b_id"), o.state == "in_flight", o.claimed_by == worker)
            .values(state="delivered", finished_at=now, claimed_by=None, lease_expires_at=None,
                    last_error=None, error_code=None, last_reply=bindparam("b_reply"),
                    note=bindparam("b_note")),
            [{"b_id": c.item.outbox_id, "b_reply": c.outcome.reply, "b_note": c.item.note}
             for c in done])
        newer = case((or_(k.delivered_version.is_(None), k.delivered_version < bindparam("b_v")),
                      bindparam("b_v")), else_=k.delivered_version)
        conn.execute(
            update(record_keys)
            .where(and_(k.table_name == bindparam("b_t"), k.record_id == bindparam("b_r")))
            .values(delivered_version=newer, delivered_at=now),
            [{"b_t": c.item.table, "b_r": c.item.record_id, "b_v": c.item.version}
             for c in sorted(done, key=lambda c: (c.item.table, c.item.record_id))])

    def _retry(self, conn: Any, worker: str, done: list[Completion]) -> None:
        if not done:
            return
        o = outbox.c
        conn.execute(
            update(outbox)
            .where(o.id == bindparam("b_id"), o.state == "in_flight", o.claimed_by == worker)
            .values(state="retry_wait", claimed_by=None, lease_expires_at=None,
                    next_attempt_at=bindparam("b_next"), last_error=bindparam("b_error"),
                    error_code=bindparam("b_code"), last_reply=bindparam("b_reply")),
            [{"b_id": c.item.outbox_id,
              "b_next": to_store(c.decision.next_attempt_at or c.started_at),
              "b_error": c.outcome.reason[:2000], "b_code": c.outcome.error_code,
              "b_reply": c.outcome.reply} for c in done])

    def _dead(self, conn: Any, worker: str, now: datetime, done: list[Completion]) -> None:
        if not done:
            return
        o = outbox.c
        conn.execute(
            update(outbox)
            .where(o.id == bindparam("b_id"), o.state == "in_flight", o.claimed_by == worker)
            .values(state="dead", finished_at=now, claimed_by=None, lease_expires_at=None,
                    last_error=bindparam("b_error"), error_code=bindparam("b_code"),
                    last_reply=bindparam("b_reply"), note=bindparam("b_note")),
            [{"b_id": c.item.outbox_id, "b_error": (c.decision.reason or c.outcome.reason)[:2000],
              "b_code": c.outcome.error_code, "b_reply": c.outcome.reply, "b_note": c.item.note}
             for c in done])


def _attempt_row(c: Completion, worker: str, target: str) -> dict[str, Any]:
    return {"outbox_id": c.item.outbox_id, "attempt_no": c.item.attempt_no,
            "started_at": to_store(c.started_at), "duration_ms": c.outcome.duration_s * 1000.0,
            "target": target[:200], "verdict": c.outcome.verdict,
            "status_code": c.outcome.status_code, "error_code": c.outcome.error_code,
            "reply": c.outcome.reply, "error": None if c.outcome.ok else c.outcome.reason[:2000],
            "worker": worker[:100]}
