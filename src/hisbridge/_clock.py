"""The one seam for time: production code asks a Clock, tests inject a controllable one."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

__all__ = ["CHINA_TZ", "Clock", "ManualClock", "SystemClock", "system_clock"]

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    """What time-dependent code needs: wall time (aware) and a monotonic reading."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock, in China Standard Time (the front-end's wire times are local)."""

    def now(self) -> datetime:
        return datetime.now(CHINA_TZ)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 8, 0, 0, tzinfo=CHINA_TZ)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float = 0.0, **kwargs: float) -> None:
        """Move the clock forward by ``seconds`` plus any timedelta keyword arguments."""
        delta = timedelta(seconds=seconds, **kwargs)
        self._now += delta
        self._mono += delta.total_seconds()


system_clock = SystemClock()
