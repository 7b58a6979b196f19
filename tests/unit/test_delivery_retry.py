"""The retry policy is a pure value: a table of cases with an injected clock and random source."""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge._clock import CHINA_TZ
from hisbridge.delivery.outcome import Outcome
from hisbridge.delivery.retry import RetryPolicy

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=CHINA_TZ)


class FixedRandom(Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


OK = Outcome.delivered()
BUSY = Outcome("transient", "errorCode 01")
SLOW_DOWN = Outcome("transient", "HTTP 429", 429, retry_after=90.0)
NO = Outcome("terminal", "errorCode 04 数据校验错误", 200, "04")


@pytest.mark.parametrize(
    ("outcome", "attempt", "rand", "action", "wait_s"),
    [
        (OK, 1, 0.0, "delivered", None),
        (OK, 49, 0.9, "delivered", None),
        (NO, 1, 0.0, "dead", None),
        (BUSY, 1, 0.0, "retry", 2.0),  # base 2 s
        (BUSY, 2, 0.0, "retry", 4.0),
        (BUSY, 4, 0.0, "retry", 16.0),
        (BUSY, 4, 1.0, "retry", 16.0 * 0.7),  # jitter shortens by up to 30 %
        (BUSY, 12, 0.0, "retry", 600.0),  # capped
        (BUSY, 40, 0.5, "retry", 600.0 * 0.85),
        (SLOW_DOWN, 1, 0.0, "retry", 90.0),  # Retry-After beats a shorter back-off
        (SLOW_DOWN, 11, 0.0, "retry", 600.0),  # a longer back-off beats Retry-After
        (BUSY, 50, 0.0, "dead", None),  # max attempts
    ],
)
def test_decisions(outcome: Outcome, attempt: int, rand: float, action: str,
                   wait_s: float | None) -> None:
    decision = RetryPolicy().decide(outcome, attempt, NOW, FixedRandom(rand))
    assert decision.action == action
    if wait_s is None:
        assert decision.next_attempt_at is None
    else:
        assert decision.next_attempt_at == NOW + timedelta(seconds=wait_s)


def test_dead_reason_keeps_the_receiver_reason() -> None:
    assert "04" in RetryPolicy().decide(NO, 1, NOW, Random(1)).reason
    gave_up = RetryPolicy(max_attempts=3).decide(BUSY, 3, NOW, Random(1))
    assert gave_up.action == "dead" and "errorCode 01" in gave_up.reason


@given(attempt=st.integers(1, 10_000), seed=st.integers(0, 2**32))
def test_waits_are_positive_and_never_beyond_the_cap(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=120.0, max_attempts=10**6, jitter=0.3)
    decision = policy.decide(BUSY, attempt, NOW, Random(seed))
    assert decision.next_attempt_at is not None
    wait = (decision.next_attempt_at - NOW).total_seconds()
    assert 0 < wait <= 120.0
