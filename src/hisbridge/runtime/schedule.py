"""Polling schedules: the real-time group every few seconds, the T+0 group on a cron schedule,
and a closing sweep before midnight.

The real-time tables (patient, visit activity, report card) are polled every
``his.realtime_interval_s``; the T+0 and base tables on ``his.t0_cron`` (default every five
minutes); at ``his.closing_sweep_cron`` (default 23:30) every table is polled once more and
deletes are swept by key-set comparison for yesterday and today, so the day closes complete.
Polls run in threads (the HIS drivers are synchronous); each group has its own lock so a long
T+0 pass never delays the real-time group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from croniter import croniter

from hisbridge._clock import Clock, system_clock
from hisbridge.errors import HisbridgeError
from hisbridge.logs import get_logger
from hisbridge.store.errors import STORE_ERRORS

if TYPE_CHECKING:
    from hisbridge.mapping.config import HisSettings
    from hisbridge.runtime.activity import Activity
    from hisbridge.sources.sql_poll import SqlPoller

__all__ = ["PollScheduler", "next_cron"]

log = get_logger("hisbridge.schedule")

# What a poll pass may meet that is not a bug: the store or a source failing.
_EXPECTED: tuple[type[Exception], ...] = (*STORE_ERRORS, HisbridgeError)


def next_cron(expression: str, after: datetime) -> datetime:
    """The next time ``expression`` fires after ``after`` (pure)."""
    return croniter(expression, after).get_next(datetime)  # type: ignore[no-any-return]


class PollScheduler:
    """Runs the three schedules until cancelled; ``t0_every_s`` replaces the cron (demo, tests)."""

    def __init__(self, poller: SqlPoller, his: HisSettings, *, clock: Clock = system_clock,
                 t0_every_s: float | None = None, activity: Activity | None = None) -> None:
        self.poller = poller
        self.activity = activity  # counts for the gateway's summary lines
        self.his = his
        self.clock = clock
        self.t0_every_s = t0_every_s
        self.passes = {"realtime": 0, "t0": 0, "sweep": 0}
        self._locks = {"realtime": asyncio.Lock(), "t0": asyncio.Lock()}

    async def run(self) -> None:
        """Run every schedule concurrently until cancelled."""
        await asyncio.gather(
            self._every(self.his.realtime_interval_s, self.realtime_pass),
            self._t0_loop(),
            self._cron(self.his.closing_sweep_cron, self.closing_sweep),
        )

    async def realtime_pass(self) -> None:
        await self._poll("realtime", ("realtime",))

    async def t0_pass(self) -> None:
        await self._poll("t0", ("base", "t0"))

    async def closing_sweep(self) -> None:
        """Everything once more, then deletes by key-set diff for yesterday and today."""
        await self.realtime_pass()
        await self.t0_pass()
        async with self._locks["t0"]:
            await asyncio.to_thread(self.poller.sweep)
        self.passes["sweep"] += 1

    async def _poll(self, lock: str, groups: tuple[str, ...]) -> None:
        async with self._locks[lock]:
            for group in groups:
                try:
                    reports = await asyncio.to_thread(self.poller.poll_all, group)
                except _EXPECTED as exc:  # a store or source failure: logged, retried next pass
                    log.error("schedule.poll_failed", group=group, error=type(exc).__name__)
                    continue
                except Exception as exc:  # a bug of ours: with its traceback, retried next pass
                    log.exception("schedule.poll_failed", group=group, error=type(exc).__name__)
                    continue
                if self.activity is not None:
                    self.activity.polled(reports)
        self.passes[lock] += 1

    async def _t0_loop(self) -> None:
        if self.t0_every_s is not None:
            await self._every(self.t0_every_s, self.t0_pass)
        elif self.his.t0_cron.strip():
            await self._cron(self.his.t0_cron, self.t0_pass)
        else:
            await self._every(self.his.t0_interval_s, self.t0_pass)

    async def _every(self, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        while True:
            await job()
            await asyncio.sleep(seconds)

    async def _cron(self, expression: str, job: Callable[[], Awaitable[None]]) -> None:
        while True:
            now = self.clock.now()
            wait = (next_cron(expression, now) - now).total_seconds()
            await asyncio.sleep(max(wait, 0.0))
            await job()
