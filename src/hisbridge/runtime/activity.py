"""What a running gateway tells its operator: one summary line per interval and per platform,
and one line per failed poll or burst of failed sends.

The counts are cheap: polls and intake add to in-memory tallies, deliveries are read from the
worker's own counters (``DeliveryMetrics``), and the backlog is one indexed count of the
unfinished outbox states plus the oldest unfinished entry found through the (state, id) index —
no scan of delivered history. Lines go through the configured logging (key=value or JSON).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Engine, func, select

from hisbridge._clock import Clock, system_clock
from hisbridge.store.schema.outbox import outbox
from hisbridge.store.times import from_store, to_store

__all__ = ["Activity", "Tally", "backlog", "consent_poll_loop", "counter_total", "summary_loop"]

log = logging.getLogger("hisbridge.activity")
_WAITING = ("pending", "retry_wait", "in_flight")


@dataclass(slots=True)
class Tally:
    """Counts of one platform since the last summary line."""

    polled: int = 0
    accepted: int = 0
    held: int = 0
    delivered: int = 0
    dead: int = 0
    failed_polls: int = 0

    def take(self) -> dict[str, int]:
        """The counts, and zero them for the next interval."""
        found = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in found:
            setattr(self, name, 0)
        return found


@dataclass(slots=True)
class Activity:
    """Tallies per platform (``frontend``, ``gdhealth``); sources and jobs add to them."""

    tallies: dict[str, Tally] = field(default_factory=lambda: {"frontend": Tally()})

    def tally(self, platform: str) -> Tally:
        return self.tallies.setdefault(platform, Tally())

    def polled(self, reports: Iterable[Any]) -> None:
        """Count a pass of ``SqlPoller`` reports; log one line per failed table."""
        front = self.tally("frontend")
        for r in reports:
            front.polled += r.counts.rows_read
            front.accepted += r.counts.accepted
            front.held += r.counts.rejected
            if r.error:
                front.failed_polls += 1
                log.warning("抽取失败 poll failed", extra={
                    "platform": "frontend", "table": r.table, "error": r.error[:300]})


    def pushed(self, accepted: int, held: int) -> None:
        """Count records the HIS pushed (push API): accepted, and held (quarantined)."""
        front = self.tally("frontend")
        front.accepted += accepted
        front.held += held


def counter_total(counter: Counter) -> float:
    """The sum of a labelled counter over its labels."""
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


def backlog(engine: Engine, now: datetime) -> tuple[int, float | None]:
    """Unfinished outbox entries and the oldest one's age in seconds (indexed reads only)."""
    o = outbox.c
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).where(o.state.in_(_WAITING))).scalar_one()
        firsts = [conn.execute(select(func.min(o.id)).where(o.state == s)).scalar_one()
                  for s in _WAITING]
        ids = [i for i in firsts if i is not None]
        first = conn.execute(select(o.created_at).where(o.id == min(ids))).scalar_one() \
            if ids else None
    if first is None:
        return int(count), None
    age = (to_store(now) - from_store(first)).total_seconds()  # type: ignore[operator]
    return int(count), max(age, 0.0)


# The provincial platform's work is consent refreshes: only these counts mean something there.
_SHOWN = {"gdhealth": ("polled", "accepted", "failed_polls")}


def _line(platform: str, counts: dict[str, int], extra: dict[str, Any]) -> None:
    shown = {k: v for k, v in counts.items() if k in _SHOWN.get(platform, counts)}
    log.info("运行概况 summary", extra={"platform": platform, **shown, **extra})


async def summary_loop(activity: Activity, engine: Engine, metrics: Any, every_s: float,
                       clock: Clock = system_clock) -> None:
    """Every ``every_s`` seconds one line per platform; failed sends get a line per burst."""
    seen = {"delivered": counter_total(metrics.delivered), "dead": counter_total(metrics.dead),
            "retried": counter_total(metrics.retried)}
    while True:
        await asyncio.sleep(every_s)
        now_totals = {k: counter_total(getattr(metrics, k)) for k in seen}
        moved = {k: int(now_totals[k] - seen[k]) for k in seen}
        seen = now_totals
        if moved["retried"]:
            log.warning("发送失败，将重试 sends failed, retrying", extra={
                "platform": "frontend", "failed": moved["retried"], "dead": moved["dead"]})
        front = activity.tally("frontend")
        front.delivered += moved["delivered"]
        front.dead += moved["dead"]
        waiting, oldest = await asyncio.to_thread(backlog, engine, clock.now())
        age = round(oldest) if oldest is not None else "-"
        for platform, tally in activity.tallies.items():
            extra = {"backlog": waiting, "oldest_waiting_s": age} if platform == "frontend" else {}
            _line(platform, tally.take(), extra)


async def consent_poll_loop(consents: Any, activity: Activity, interval_s: float = 30.0) -> None:
    """The provincial platform's polling fallback for lost callbacks, counted: ``polled`` is
    refresh passes, ``accepted`` authorizations whose status changed; a failed pass is logged
    and retried next interval."""
    tally = activity.tally("gdhealth")
    while True:
        try:
            tally.accepted += await consents.refresh_open()
            tally.polled += 1
        except Exception as exc:  # the platform or the store: logged, tried again next pass
            tally.failed_polls += 1
            log.warning("授权状态刷新失败 consent refresh failed", extra={
                "platform": "gdhealth", "error": type(exc).__name__})
        await asyncio.sleep(interval_s)
