"""The retry policy: a pure value that turns an outcome into a decision.

Exponential back-off with jitter and a cap: attempt ``n`` waits ``base * 2**(n-1)`` seconds,
capped at ``cap``, then shortened by up to ``jitter`` (a fraction) so that many records failing
together do not retry together. A receiver's ``Retry-After`` is honoured: the wait is never
shorter than it. After ``max_attempts`` a transient failure is dead-lettered too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Literal

from hisbridge.delivery.outcome import Outcome

__all__ = ["Decision", "RetryPolicy"]

Action = Literal["delivered", "retry", "dead"]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with an outbox entry after an attempt, and why."""

    action: Action
    next_attempt_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Back-off parameters; ``decide`` does no I/O and reads no clock."""

    base_s: float = 2.0
    cap_s: float = 600.0
    max_attempts: int = 50
    jitter: float = 0.3

    def backoff(self, attempt_no: int, cap_s: float | None = None) -> float:
        """``base * 2**(n-1)`` after failed attempt ``n`` (1-based), capped; no jitter.

        ``cap_s`` lowers the cap for one caller (the message poller waits at most one interval
        after a transient failure); it never raises it above ``self.cap_s``.
        """
        cap = self.cap_s if cap_s is None else min(self.cap_s, cap_s)
        return float(min(cap, self.base_s * 2.0 ** min(max(attempt_no - 1, 0), 62)))

    def delay(self, attempt_no: int, rng: Random) -> float:
        """Seconds to wait after failed attempt ``attempt_no`` (1-based), before Retry-After."""
        return self.backoff(attempt_no) * (1.0 - self.jitter * rng.random())

    def decide(self, outcome: Outcome, attempt_no: int, now: datetime, rng: Random) -> Decision:
        """Delivered, retry at a time, or dead with the reason."""
        if outcome.verdict == "delivered":
            return Decision("delivered")
        if outcome.verdict == "terminal":
            return Decision("dead", reason=outcome.reason)
        if attempt_no >= self.max_attempts:
            return Decision("dead", reason=f"{attempt_no} 次尝试均失败 gave up after "
                                           f"{attempt_no} attempts: {outcome.reason}")
        wait = max(self.delay(attempt_no, rng), outcome.retry_after or 0.0)
        return Decision("retry", now + timedelta(seconds=wait), outcome.reason)
