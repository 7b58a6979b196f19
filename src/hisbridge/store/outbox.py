"""The outbox queue: claim work, record outcomes, return leases.

The queue mechanics (one-statement claim, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, leases that
a dead worker loses, delivered/retry_wait/dead) are ``hisbridge.store.queue``'s, shared with the
HIS webhook deliveries; this module adds the outbox's ordering rules and its attempt history.

An entry is claimable when it is due, no earlier version of the same (table, id) is unfinished
(strict version order), and:

- an upsert: its parent record is at the front-end (a delivered upsert not followed by a
  delivered delete), or the entry has waited longer than ``parent_wait_s``: then it is handed
  out with the note ``parent_wait_exceeded`` and the worker sends it anyway or dead-letters it,
  per its ``on_parent_timeout`` setting (a child of a deleted parent is withheld at intake);
- a delete: no delete of one of its children is unfinished (deletes go children first, the
  mirror of inserts), and, when it is held (``hisbridge.store.cascade``), no child is left.

A hospital group's institutions each have a queue of their own (``institution``): its claim
takes only the entries routed to it (and, for the ``unmarked`` owner, those queued with no
institution), still in one statement through the (institution, state, id) index; the version
and parent/child rules need no change, as a group's keys are qualified per institution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, exists, literal_column, or_, select, tuple_

from hisbridge._clock import Clock, system_clock
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.delivery.retry import Decision
from hisbridge.store.cascade import HELD_FOR_CHILDREN
from hisbridge.store.queue import DurableQueue, Finished
from hisbridge.store.schema.outbox import attempts, outbox, record_keys, records
from hisbridge.store.schema.queue import UNFINISHED as _UNFINISHED
from hisbridge.store.times import to_store

__all__ = ["PARENT_LATE", "Completion", "OutboxQueue"]

PARENT_LATE = "parent_wait_exceeded"


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
                 parent_wait_s: float = 600.0, institution: str | None = None,
                 unmarked: bool = False) -> None:
        self.engine = engine
        self.clock = clock
        self.parent_wait_s = parent_wait_s
        self.institution = institution  # None: every entry (a single hospital)
        self.unmarked = unmarked  # also the entries with no institution (queued before the group)
        self._queue = DurableQueue(engine, outbox, clock=clock)
        self._skip_locked = self._queue.skip_locked
        self._statements = {s: self._claim_statement(s) for s in ("retry_wait", "pending")}

    def claim(self, worker: str, limit: int, lease_s: float) -> list[DeliveryItem]:
        """Up to ``limit`` due entries, now ``in_flight`` under ``worker``'s lease.

        Due retries first, then pending entries in acceptance order; each state is read through
        its own index, so a claim costs the same with ten or a million entries queued. Each
        state's claim is one statement that also returns the stored payloads, undecoded.
        """
        now = to_store(self.clock.now())
        with self.engine.begin() as conn:
            claimed = self._take(conn, "retry_wait", worker, limit, lease_s, now)
            if len(claimed) < limit:
                claimed += self._take(conn, "pending", worker, limit - len(claimed), lease_s, now)
            if not claimed:
                return []
            late = self._late_children(conn, claimed, now)
        items = [_item(row, late) for row in claimed]
        return sorted(items, key=lambda i: i.outbox_id)

    def _take(self, conn: Any, state: str, worker: str, limit: int, lease_s: float,
              now: datetime) -> list[Any]:
        params = {**self._queue.claim_params(worker, limit, lease_s, now),
                  "b_deadline": now - timedelta(seconds=self.parent_wait_s)}
        return list(conn.execute(self._statements[state], params).all())

    def _claim_statement(self, state: str) -> Any:
        """The shared queue's claim over this state's candidates, built once per state."""
        o = outbox.c
        return self._queue.claim_statement(
            self._candidates(state), o.id, o.table_name, o.record_id, o.version, o.op,
            o.attempts, o.created_at, o.parent_table, o.parent_id, o.note,
            _stored(records.c.payload), _stored(records.c.wire))

    def _candidates(self, state: str) -> Any:
        """Due entries of ``state`` that strict version order and parent/child order allow."""
        o = outbox.alias("o")
        earlier = outbox.alias("earlier")
        unfinished_before = exists().where(
            earlier.c.table_name == o.c.table_name, earlier.c.record_id == o.c.record_id,
            earlier.c.id < o.c.id, earlier.c.state.in_(_UNFINISHED))
        return self._queue.candidates(
            state, o, ~unfinished_before, *self._mine(o),
            or_(and_(o.c.op == "upsert", _upsert_ready(o, self._skip_locked)),
                and_(o.c.op == "delete", _delete_ready(o))))

    def _mine(self, o: Any) -> list[Any]:
        """The condition on ``o`` that keeps a group's claim to its own institution's entries."""
        if self.institution is None:
            return []
        own = o.c.institution == self.institution
        return [or_(own, o.c.institution.is_(None)) if self.unmarked else own]

    def _late_children(self, conn: Any, rows: Sequence[Any], now: datetime) -> set[int]:
        deadline = now - timedelta(seconds=self.parent_wait_s)
        waiting = [row for row in rows if row.parent_id is not None and row.op == "upsert"
                   and row.created_at <= deadline]
        if not waiting:
            return set()
        o = outbox.alias("o")
        ready = {i for (i,) in conn.execute(select(o.c.id).where(
            o.c.id.in_([row.id for row in waiting]), _at_front_end(o, self._skip_locked)))}
        return {row.id for row in waiting if row.id not in ready}

    def reclaim_expired(self) -> int:
        """Return entries whose lease expired (their worker died) to ``pending``."""
        return self._queue.reclaim_expired()

    def retry_now(self, limit: int | None = None) -> int:
        """Make entries waiting for a retry due now (the receiver is reachable again): all of
        them, or the ``limit`` that would have been due first (a probe needs just one)."""
        return self._queue.retry_now(limit, *self._mine(outbox))

    def release(self, worker: str, ids: Sequence[int]) -> None:
        """Give back entries claimed but not sent (shutdown): pending again, attempt not counted."""
        self._queue.release(worker, ids)

    def complete(self, worker: str, target: str, done: Sequence[Completion]) -> None:
        """Record the attempts and move each entry to delivered, retry_wait or dead.

        A failed attempt gets its own attempts row; the deliveries share one, which each
        delivered entry points to (``attempt_id``): a success costs no row of its own.
        """
        if not done:
            return
        finished = [Finished(c.item.outbox_id, c.outcome, c.decision, c.item.note) for c in done]
        failed = [_attempt_row(c, worker, target) for c in done if not c.outcome.ok]
        delivered = [c for c in done if c.outcome.ok]
        with self.engine.begin() as conn:
            if failed:
                conn.execute(attempts.insert(), failed)
            batch_id = None
            if delivered:
                row = _batch_row(delivered, worker, target)
                batch = conn.execute(attempts.insert().values(row)).inserted_primary_key
                batch_id = int(batch[0]) if batch else None
            self._queue.finish(conn, worker, finished, attempt_id=batch_id)


def _at_front_end(o: Any, hashed: bool) -> Any:
    """``o``'s parent is at the front-end: a delivered upsert of it that no delivered delete
    followed (so a re-inserted parent counts once its new upsert is there).

    The same rule in the form each store plans best: uncorrelated ``IN`` subqueries that
    PostgreSQL hashes once per claim (``hashed``), correlated ``EXISTS`` probes for SQLite."""
    if not hashed:
        parent, later = outbox.alias("parent"), outbox.alias("later")
        deleted_after = exists().where(
            later.c.table_name == parent.c.table_name, later.c.record_id == parent.c.record_id,
            later.c.id > parent.c.id, later.c.state == "delivered", later.c.op == "delete")
        return exists().where(
            parent.c.table_name == o.c.parent_table, parent.c.record_id == o.c.parent_id,
            parent.c.state == "delivered", parent.c.op == "upsert", ~deleted_after)
    d, u, later = outbox.alias("d"), outbox.alias("u"), outbox.alias("later")
    upserted = select(u.c.table_name, u.c.record_id).where(
        u.c.state == "delivered", u.c.op == "upsert")
    reinserted = exists().where(
        later.c.table_name == d.c.table_name, later.c.record_id == d.c.record_id,
        later.c.id > d.c.id, later.c.state == "delivered", later.c.op == "upsert")
    gone = select(d.c.table_name, d.c.record_id).where(
        d.c.state == "delivered", d.c.op == "delete", ~reinserted)
    parent_key = tuple_(o.c.parent_table, o.c.parent_id)
    return and_(parent_key.in_(upserted), parent_key.not_in(gone))


def _upsert_ready(o: Any, hashed: bool) -> Any:
    """A child upsert goes once its parent is at the front-end, or after ``parent_wait_s``.
    (A child of a deleted parent never gets here: the intake withholds it.)"""
    return or_(o.c.parent_id.is_(None), o.c.created_at <= bindparam("b_deadline"),
               _at_front_end(o, hashed))


def _delete_ready(o: Any) -> Any:
    """A parent's delete waits until its children's deletes are done (children first); a held
    one (``on_parent_delete: hold``) also until the HIS has deleted every child."""
    child = outbox.alias("child")
    kids = record_keys.alias("kid")
    children_deleting = exists().where(
        child.c.parent_table == o.c.table_name, child.c.parent_id == o.c.record_id,
        child.c.op == "delete", child.c.state.in_(_UNFINISHED))
    live_child = exists().where(kids.c.parent_table == o.c.table_name,
                                kids.c.parent_id == o.c.record_id, kids.c.op == "upsert")
    held = and_(o.c.note.is_not(None), o.c.note == HELD_FOR_CHILDREN)
    return and_(~children_deleting, or_(~held, ~live_child))


def _stored(column: Any) -> Any:
    """A column of the claimed entry's record version, for the claim's ``RETURNING``: written
    out, because ``RETURNING`` names the updated table's columns unqualified. The casts give
    SQLite's ``RETURNING`` values a type, without which it scans ``records`` for each row."""
    return literal_column(
        f"(SELECT r.{column.name} FROM records r"
        " WHERE r.table_name = CAST(outbox.table_name AS TEXT)"
        " AND r.record_id = CAST(outbox.record_id AS TEXT)"
        " AND r.version = CAST(outbox.version AS INTEGER))", column.type).label(column.name)


def _item(row: Any, late: set[int]) -> DeliveryItem:
    return DeliveryItem(
        outbox_id=row.id, table=row.table_name, record_id=row.record_id, version=row.version,
        op=row.op, payload=row.payload or "{}", attempt_no=row.attempts,
        received_at=row.created_at, note=PARENT_LATE if row.id in late else row.note,
        wire=row.wire)


def _batch_row(delivered: Sequence[Completion], worker: str, target: str) -> dict[str, Any]:
    """One attempts row for a batch of deliveries: its first start, mean duration, and the
    attempt number and status code when all had the same (else 0 and NULL: each entry's own
    attempt number is its ``outbox.attempts``)."""
    codes = {c.outcome.status_code for c in delivered}
    tries = {c.item.attempt_no for c in delivered}
    mean_s = sum(c.outcome.duration_s for c in delivered) / len(delivered)
    return {"outbox_id": None, "attempt_no": tries.pop() if len(tries) == 1 else 0,
            "records": len(delivered),
            "started_at": to_store(min(c.started_at for c in delivered)),
            "duration_ms": mean_s * 1000.0, "target": target[:200], "verdict": "delivered",
            "status_code": codes.pop() if len(codes) == 1 else None, "error_code": None,
            "reply": None, "error": None, "worker": worker[:100]}


def _attempt_row(c: Completion, worker: str, target: str) -> dict[str, Any]:
    return {"outbox_id": c.item.outbox_id, "attempt_no": c.item.attempt_no,
            "started_at": to_store(c.started_at), "duration_ms": c.outcome.duration_s * 1000.0,
            "target": target[:200], "verdict": c.outcome.verdict,
            "status_code": c.outcome.status_code, "error_code": c.outcome.error_code,
            "reply": c.outcome.reply, "error": None if c.outcome.ok else c.outcome.reason[:2000],
            "worker": worker[:100]}
