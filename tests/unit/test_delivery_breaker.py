"""The circuit breaker as a pure value: table tests over outcome sequences."""

from __future__ import annotations

import pytest

from hisbridge.delivery.breaker import CircuitBreaker


def test_it_opens_after_threshold_consecutive_failures_only() -> None:
    b = CircuitBreaker(threshold=3, base_s=1.0, max_s=8.0)
    assert [b.record(False, 0.0), b.record(False, 0.1)] == ["none", "none"]
    assert b.record(True, 0.2) == "none" and b.failures == 0  # a success resets the count
    assert [b.record(False, t) for t in (1.0, 1.1, 1.2)] == ["none", "none", "opened"]
    assert b.is_open and b.wait_s(1.2) == pytest.approx(1.0) and b.wait_s(5.0) == 0.0


@pytest.mark.parametrize(("probe_failures", "pauses"), [
    (1, [2.0]), (3, [2.0, 4.0, 8.0]), (5, [2.0, 4.0, 8.0, 8.0, 8.0])])
def test_failed_probes_double_the_pause_up_to_the_cap(probe_failures: int,
                                                      pauses: list[float]) -> None:
    b = CircuitBreaker(threshold=1, base_s=1.0, max_s=8.0)
    now = 0.0
    assert b.record(False, now) == "opened"
    seen = []
    for _ in range(probe_failures):
        now += b.wait_s(now)  # the probe goes out when due, and fails
        assert b.record(False, now) == "reopened"
        seen.append(b.pause_s)
    assert seen == pauses


def test_failures_of_sends_already_under_way_do_not_extend_the_pause() -> None:
    b = CircuitBreaker(threshold=2, base_s=5.0, max_s=60.0)
    b.record(False, 0.0)
    assert b.record(False, 0.0) == "opened"
    assert b.record(False, 0.5) == "none" and b.wait_s(0.5) == pytest.approx(4.5)


def test_a_probe_that_gets_through_closes_it() -> None:
    b = CircuitBreaker(threshold=1, base_s=1.0, max_s=8.0)
    b.record(False, 0.0)
    assert b.record(True, 1.0) == "closed"
    assert not b.is_open and b.wait_s(1.0) == 0.0 and b.pause_s == 0.0


def test_threshold_zero_never_opens() -> None:
    b = CircuitBreaker(threshold=0)
    assert {b.record(False, float(t)) for t in range(100)} == {"none"}
    assert not b.is_open
