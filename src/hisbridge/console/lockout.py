"""Lock-out after repeated failed logins: a pure decision over the recent failures of a name.

A name is locked when its last ``failures`` failed attempts since its last success fall within
``window``; it stays locked for ``lock`` after the latest of them. Attempts refused while locked
count as failures too, so an ongoing guessing attack keeps the name locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LockoutPolicy", "locked_until"]


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


def locked_until(failures: Sequence[datetime], policy: LockoutPolicy) -> datetime | None:
    """Until when the name is locked, given its failures since the last success (ascending)."""
    if len(failures) < policy.failures:
        return None
    recent = sorted(failures)[-policy.failures:]
    if recent[-1] - recent[0] > policy.window:
        return None
    return recent[-1] + policy.lock
