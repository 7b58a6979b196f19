"""The circuit breaker: stop sending to a receiver that is down, probe it, resume at once.

Without it every queued record retries on its own schedule while the front-end is down: a
backlog of thousands makes thousands of failed requests a minute (the reliability suite's
outage counted 131,089 in 60 s with short retry settings), and once the front-end is back,
records that backed off for minutes wait out their delay. With it, after ``threshold``
consecutive failures to reach the receiver (connection refused, timeout, a 5xx reply) the
worker stops claiming and sends one probe after ``base_s``, then after twice as long, up to
``max_s``; the first probe that gets through closes the breaker and makes every waiting retry
due now.

A pure value, like the retry policy: it reads no clock (callers pass a monotonic ``now``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CircuitBreaker", "Transition"]

Transition = Literal["none", "opened", "reopened", "closed"]


@dataclass(slots=True)
class CircuitBreaker:
    """Closed (send), open (wait until ``probe_at``), or probing (one request out)."""

    threshold: int = 5  # consecutive unreachable outcomes that open it; 0 = never
    base_s: float = 1.0
    max_s: float = 30.0
    failures: int = 0
    pause_s: float = 0.0
    probe_at: float | None = None  # monotonic time of the next probe while open

    @property
    def is_open(self) -> bool:
        return self.probe_at is not None

    def wait_s(self, now: float) -> float:
        """Seconds before anything may be sent (0: send; while open only the probe)."""
        return 0.0 if self.probe_at is None else max(0.0, self.probe_at - now)

    def record(self, reached: bool, now: float) -> Transition:
        """Account one outcome; say whether the breaker opened, stayed open or closed."""
        if reached:
            was_open = self.is_open
            self.failures, self.pause_s, self.probe_at = 0, 0.0, None
            return "closed" if was_open else "none"
        self.failures += 1
        if self.is_open:  # a failed probe (or a send already under way when it opened)
            if now < (self.probe_at or now):
                return "none"
            self.pause_s = min(self.max_s, max(self.base_s, self.pause_s * 2))
            self.probe_at = now + self.pause_s
            return "reopened"
        if self.threshold <= 0 or self.failures < self.threshold:
            return "none"
        self.pause_s = self.base_s
        self.probe_at = now + self.pause_s
        return "opened"
