"""One durable queue: claim under a lease, complete, retry, dead — for every queue table.

A queue table has the columns of ``hisbridge.store.schema.queue`` and an ``id``. Claiming is
one statement, ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING ...``; on PostgreSQL
the inner select is ``FOR UPDATE SKIP LOCKED`` so several processes or nodes share one store
without double sends. A claimed entry is ``in_flight`` with a lease; a worker that dies loses
its lease and the entry returns to ``pending`` when the lease expires (``reclaim_expired``).
The retry policy (``hisbridge.delivery.retry``) decides; ``complete`` records its decision.

Used by the outbox (``hisbridge.store.outbox``, which adds its ordering rules to the claim) and
by the HIS webhook deliveries (``hisbridge.store.webhooks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, bindparam, select, update

from hisbridge._clock import Clock, system_clock
from hisbridge.delivery.outcome import Outcome
from hisbridge.delivery.retry import Decision
from hisbridge.store.times import to_store

__all__ = ["DurableQueue", "Finished"]


@dataclass(frozen=True, slots=True)
class Finished:
    """One finished attempt at entry ``entry_id``: what the receiver said, what was decided."""

    entry_id: int
    outcome: Outcome
    decision: Decision
    note: str | None = None


class DurableQueue:
    """Queue operations on one queue table; every method is one short transaction."""

    def __init__(self, engine: Engine, table: Table, *, clock: Clock = system_clock) -> None:
        self.engine = engine
        self.table = table
        self.clock = clock
        self.skip_locked = engine.dialect.name == "postgresql"
        self._finish = {"retry": _finish_statement(table, "retry_wait"),
                        "dead": _finish_statement(table, "dead")}
        self._delivered = _delivered_statement(table)

    @cached_property
    def _claims(self) -> dict[str, Any]:
        return {s: self.claim_statement(self.candidates(s), *self.table.c)
                for s in ("retry_wait", "pending")}

    def candidates(self, state: str, alias: Any = None, *ready: Any) -> Any:
        """The ids of due ``state`` entries (that also meet ``ready``), oldest first, locked."""
        q = alias if alias is not None else self.table.alias("o")
        query = select(q.c.id).where(q.c.state == state, *ready).limit(bindparam("b_limit"))
        if state == "retry_wait":
            query = query.where(q.c.next_attempt_at <= bindparam("b_now"))
            query = query.order_by(q.c.next_attempt_at)
        else:  # pending entries are always due; take them in acceptance order
            query = query.order_by(q.c.id)
        return query.with_for_update(skip_locked=True, of=q) if self.skip_locked else query

    def claim_statement(self, candidates: Any, *returning: Any) -> Any:
        """``UPDATE ... WHERE id IN (candidates) RETURNING ...``: the claim, built once."""
        c = self.table.c
        return (update(self.table)
                .where(c.id.in_(candidates.scalar_subquery()))
                .values(state="in_flight", claimed_by=bindparam("b_worker"),
                        lease_expires_at=bindparam("b_lease"), attempts=c.attempts + 1)
                .returning(*returning))

    @staticmethod
    def claim_params(worker: str, limit: int, lease_s: float, now: datetime) -> dict[str, Any]:
        return {"b_now": now, "b_lease": now + timedelta(seconds=lease_s), "b_worker": worker,
                "b_limit": limit}

    def claim(self, worker: str, limit: int, lease_s: float) -> list[Any]:
        """Up to ``limit`` due entries (whole rows), now ``in_flight`` under ``worker``'s lease:
        due retries first, then pending entries in acceptance order."""
        params = self.claim_params(worker, limit, lease_s, to_store(self.clock.now()))
        with self.engine.begin() as conn:
            rows = list(conn.execute(self._claims["retry_wait"], params).all())
            if len(rows) < limit:
                params["b_limit"] = limit - len(rows)
                rows += conn.execute(self._claims["pending"], params).all()
        return sorted(rows, key=lambda row: row.id)

    def reclaim_expired(self) -> int:
        """Return entries whose lease expired (their worker died) to ``pending``."""
        now = to_store(self.clock.now())
        c = self.table.c
        with self.engine.begin() as conn:
            result = conn.execute(
                update(self.table)
                .where(c.state == "in_flight", c.lease_expires_at < now)
                .values(state="pending", claimed_by=None, lease_expires_at=None,
                        next_attempt_at=now, note="lease expired; worker lost"))
        return int(result.rowcount or 0)

    def retry_now(self, limit: int | None = None, *among: Any) -> int:
        """Make entries waiting for a retry due now (the receiver is reachable again): all of
        them (that meet ``among``), or the ``limit`` that would have been due first (a probe
        needs just one)."""
        now = to_store(self.clock.now())
        c = self.table.c
        waiting = and_(c.state == "retry_wait", c.next_attempt_at > now, *among)
        with self.engine.begin() as conn:
            if limit is not None:
                first = select(c.id).where(waiting).order_by(c.next_attempt_at).limit(limit)
                waiting = c.id.in_([row.id for row in conn.execute(first)])
            result = conn.execute(update(self.table).where(waiting).values(next_attempt_at=now))
        return int(result.rowcount or 0)

    def release(self, worker: str, ids: Sequence[int]) -> None:
        """Give back entries claimed but not sent (shutdown): pending again, attempt not counted."""
        if not ids:
            return
        c = self.table.c
        with self.engine.begin() as conn:
            conn.execute(
                update(self.table)
                .where(c.id.in_(list(ids)), c.state == "in_flight", c.claimed_by == worker)
                .values(state="pending", claimed_by=None, lease_expires_at=None,
                        attempts=c.attempts - 1))

    def requeue_dead(self, ids: Sequence[int] | None = None) -> int:
        """Send dead entries (all, or ``ids``) again: pending, due now, attempts from zero."""
        c = self.table.c
        dead = c.state == "dead"
        if ids is not None:
            dead = and_(dead, c.id.in_(list(ids)))
        with self.engine.begin() as conn:
            result = conn.execute(update(self.table).where(dead).values(
                state="pending", attempts=0, next_attempt_at=to_store(self.clock.now()),
                finished_at=None, note="requeued"))
        return int(result.rowcount or 0)

    def dead(self, limit: int = 100) -> list[Any]:
        """Dead entries (whole rows), newest first."""
        c = self.table.c
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(self.table).where(c.state == "dead").order_by(c.id.desc()).limit(limit)))

    def complete(self, worker: str, done: Sequence[Finished]) -> None:
        """Move each entry to delivered, retry_wait or dead, as decided; one transaction."""
        if done:
            with self.engine.begin() as conn:
                self.finish(conn, worker, done)

    def finish(self, conn: Connection, worker: str, done: Sequence[Finished],
               attempt_id: int | None = None) -> None:
        """``complete`` inside the caller's transaction (the outbox adds its attempt rows, and
        points its delivered entries to their batch's row: ``attempt_id``)."""
        common = {"b_worker": worker, "b_now": to_store(self.clock.now())}
        if "attempt_id" in self.table.c:
            common["b_attempt"] = attempt_id
        failed: dict[str, list[dict[str, Any]]] = {"retry": [], "dead": []}
        delivered: dict[str | None, list[int]] = {}
        for f in done:
            if f.decision.action == "delivered":
                delivered.setdefault(f.note, []).append(f.entry_id)
            else:
                failed[f.decision.action].append({**common, **_entry_params(f)})
        for note, ids in delivered.items():  # the common case: one set-based statement
            conn.execute(self._delivered, {**common, "b_note": note, "b_ids": ids})
        for action, rows in failed.items():
            if rows:
                conn.execute(self._finish[action], rows)


def _entry_params(f: Finished) -> dict[str, Any]:
    reason = f.decision.reason or f.outcome.reason
    nxt = f.decision.next_attempt_at
    return {"b_id": f.entry_id, "b_note": f.note,
            "b_next": to_store(nxt) if nxt else None,
            "b_error": None if f.outcome.ok else reason[:2000],
            "b_code": f.outcome.error_code, "b_reply": None if f.outcome.ok else f.outcome.reply}


def _finish_statement(table: Table, state: str) -> Any:
    c = table.c
    values: dict[str, Any] = {
        "state": state, "claimed_by": None, "lease_expires_at": None,
        "last_error": bindparam("b_error"), "error_code": bindparam("b_code"),
        "last_reply": bindparam("b_reply")}
    if state == "retry_wait":
        values["next_attempt_at"] = bindparam("b_next")
    else:
        values.update(finished_at=bindparam("b_now"), note=bindparam("b_note"))
    return (update(table)
            .where(c.id == bindparam("b_id"), c.state == "in_flight",
                   c.claimed_by == bindparam("b_worker"))
            .values(values))


def _delivered_statement(table: Table) -> Any:
    c = table.c
    values: dict[str, Any] = {
        "state": "delivered", "finished_at": bindparam("b_now"), "note": bindparam("b_note"),
        "claimed_by": None, "lease_expires_at": None, "last_error": None, "error_code": None,
        "last_reply": None}
    if "attempt_id" in c:
        values["attempt_id"] = bindparam("b_attempt")
    return (update(table)
            .where(c.id.in_(bindparam("b_ids", expanding=True)), c.state == "in_flight",
                   c.claimed_by == bindparam("b_worker"))
            .values(values))
