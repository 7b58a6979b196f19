"""Which schedule the T+0 tables follow: the cron expression, or the interval when it is empty."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.mapping.config import HisSettings
from hisbridge.runtime.schedule import PollScheduler


class _Poller:
    """Records which groups were polled (what PollScheduler asks of a SqlPoller)."""

    def __init__(self) -> None:
        self.groups: list[str] = []

    def poll_all(self, group: str) -> Any:
        self.groups.append(group)


async def _t0_passes(his: HisSettings, seconds: float) -> int:
    clock = ManualClock(datetime(2026, 3, 2, 10, 0, 1, tzinfo=CHINA_TZ))  # 299 s to */5
    scheduler = PollScheduler(_Poller(), his, clock=clock)  # type: ignore[arg-type]
    task = asyncio.create_task(scheduler._t0_loop())
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return scheduler.passes["t0"]


@pytest.mark.parametrize(("cron", "expect_passes"), [("", True), ("  ", True),
                                                     ("*/5 * * * *", False)])
async def test_t0_tables_follow_the_cron_or_else_the_interval(cron: str,
                                                              expect_passes: bool) -> None:
    passes = await _t0_passes(HisSettings(t0_cron=cron, t0_interval_s=0.02), 0.3)
    assert (passes >= 3) is expect_passes, passes
