"""A token-bucket rate limit per client address, for the HIS push API.

Each client address has a bucket of ``burst`` tokens refilled at ``rate_per_s``; a request
takes one token, and with none left it is refused with 429 and ``Retry-After`` (whole seconds
until a token is back). ``push.rate_per_s`` = 0 (the default) switches the limit off: a
hospital's HIS is one trusted client, and the limit is there to stop a runaway sender or a
flood, so the hospital sets it to a few times its normal peak.

The buckets live in memory (one process). They are kept for at most ``max_clients``
addresses; the least recently seen are forgotten first, so a scan from many addresses cannot
grow memory without bound.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from hisbridge._clock import Clock, system_clock

__all__ = ["TokenBucketLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class TokenBucketLimiter:
    """``take(client)`` -> 0.0 when allowed, else the seconds to wait before retrying."""

    def __init__(self, rate_per_s: float, burst: int = 0, *, clock: Clock = system_clock,
                 max_clients: int = 10_000) -> None:
        self.rate = rate_per_s
        self.burst = float(burst or max(1, math.ceil(rate_per_s * 2)))
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str) -> float:
        """Spend one token of ``client``'s bucket; the wait in seconds when it is empty."""
        if not self.enabled:
            return 0.0
        now = self.clock.monotonic()
        bucket = self._bucket(client, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _bucket(self, client: str, now: float) -> _Bucket:
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(self.burst, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
        return bucket


def retry_after(wait_s: float) -> str:
    """The ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))
