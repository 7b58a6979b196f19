"""The outbox at a glance for ``/metrics``, without counting the whole outbox on every scrape.

The outbox keeps every finished entry until retention removes it, so a count of all of it grows
with history while what a scrape needs to be fresh is small. The two halves are read apart:

- entries still waiting (``pending``, ``in_flight``, ``retry_wait``) and the oldest one's age
  are read on every scrape through the ``(state, id)`` index: the cost follows the backlog,
  not the history;
- finished entries (``delivered``, ``dead``, replayed dead letters) and quarantined records are
  counted by ``refresh()``, every ``every_s`` seconds by ``run()`` (a background job of the
  running gateway). Without that job (an app built on its own) a read refreshes them itself
  when they are older than ``every_s``, so they are never staler than that.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select

from hisbridge._clock import Clock, system_clock
from hisbridge.store.queries import OutboxStatus
from hisbridge.store.schema.outbox import outbox, quarantine
from hisbridge.store.times import from_store, to_store

__all__ = ["FINISHED", "WAITING", "FinishedCounts", "OutboxGauges", "finished_counts",
           "waiting_counts"]

log = logging.getLogger("hisbridge.metrics")

WAITING = ("pending", "retry_wait", "in_flight")
FINISHED = ("delivered", "dead")


@dataclass(slots=True)
class FinishedCounts:
    """Counts that only a recount can move: per table, finished states, replayed, quarantined."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    replayed: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    at: float = 0.0  # the clock's monotonic seconds when counted


def finished_counts(engine: Engine, at: float = 0.0) -> FinishedCounts:
    """Finished entries per table x state (replayed dead letters apart) and quarantine per
    table: a recount of the history, for ``refresh()`` only."""
    o = outbox.c
    done = FinishedCounts(at=at)
    with engine.connect() as conn:
        rows = conn.execute(select(o.table_name, o.state, o.replayed, func.count())
                            .where(o.state.in_(FINISHED))
                            .group_by(o.table_name, o.state, o.replayed)).all()
        parked = conn.execute(select(quarantine.c.table_name, func.count())
                              .group_by(quarantine.c.table_name)).all()
    for table, state, was_replayed, count in rows:
        if state == "dead" and was_replayed:
            done.replayed[table] = done.replayed.get(table, 0) + count
        else:
            done.counts.setdefault(table, {})[state] = count
    done.quarantined = {table: count for table, count in parked}
    return done


def waiting_counts(engine: Engine, now: datetime) -> tuple[dict[str, dict[str, int]],
                                                          dict[str, float]]:
    """Waiting entries per table x state, and the oldest one's age per table (indexed reads
    of the waiting states only)."""
    o = outbox.c
    waiting = o.state.in_(WAITING)
    with engine.connect() as conn:
        rows = conn.execute(select(o.table_name, o.state, func.count()).where(waiting)
                            .group_by(o.table_name, o.state)).all()
        oldest = conn.execute(select(o.table_name, func.min(o.created_at)).where(waiting)
                              .group_by(o.table_name)).all()
    counts: dict[str, dict[str, int]] = {}
    for table, state, count in rows:
        counts.setdefault(table, {})[state] = count
    stamp = to_store(now)
    ages = {table: max((stamp - from_store(first)).total_seconds(), 0.0)  # type: ignore[operator]
            for table, first in oldest}
    return counts, ages


class OutboxGauges:
    """What ``/metrics`` shows of the store: fresh waiting counts, recounted finished ones."""

    def __init__(self, engine: Engine, *, every_s: float = 60.0,
                 clock: Clock = system_clock) -> None:
        self.engine = engine
        self.every_s = every_s
        self.clock = clock
        self._finished: FinishedCounts | None = None
        self._lock = threading.Lock()
        self._background = False

    def read(self, now: datetime) -> OutboxStatus:
        """The queue as ``outbox_status`` reports it, finished counts from the last recount."""
        finished = self._current()
        waiting, ages = waiting_counts(self.engine, now)
        status = OutboxStatus(oldest_pending_s=ages, quarantined=dict(finished.quarantined),
                              replayed=dict(finished.replayed))
        for source in (finished.counts, waiting):
            for table, states in source.items():
                status.counts.setdefault(table, {}).update(states)
        return status

    def refresh(self) -> FinishedCounts:
        """Recount finished entries and quarantine now."""
        counted = finished_counts(self.engine, self.clock.monotonic())
        with self._lock:
            self._finished = counted
        return counted

    def _current(self) -> FinishedCounts:
        with self._lock:
            finished = self._finished
        if finished is None:
            return self.refresh()
        if not self._background and self.clock.monotonic() - finished.at >= self.every_s:
            return self.refresh()
        return finished

    async def run(self) -> None:
        """Recount every ``every_s`` seconds, off the event loop, until cancelled; while this
        runs, reads never recount themselves."""
        self._background = True
        try:
            while True:
                try:
                    await asyncio.to_thread(self.refresh)
                except Exception as exc:  # a store outage: keep the last counts, try again
                    log.warning("outbox recount failed", extra={"kind": type(exc).__name__})
                await asyncio.sleep(self.every_s)
        finally:
            self._background = False
