"""Push API limits: the token bucket per client address (429 + Retry-After) and body size."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from hisbridge._clock import ManualClock
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import sample_record
from hisbridge.web.app import create_app
from hisbridge.web.ratelimit import TokenBucketLimiter, retry_after

AUTH = {"Authorization": "Bearer rl-token"}


@pytest.mark.parametrize(("rate", "burst", "calls", "allowed"), [
    (1.0, 1, 3, 1), (2.0, 0, 10, 4), (10.0, 5, 5, 5), (0.0, 0, 1000, 1000)])
def test_a_burst_then_refusals(rate: float, burst: int, calls: int, allowed: int) -> None:
    limiter = TokenBucketLimiter(rate, burst, clock=ManualClock())
    waits = [limiter.take("10.0.0.1") for _ in range(calls)]
    assert sum(1 for w in waits if w == 0) == allowed
    assert all(w > 0 for w in waits[allowed:])


def test_tokens_come_back_with_time_and_clients_are_separate() -> None:
    clock = ManualClock()
    limiter = TokenBucketLimiter(2.0, 2, clock=clock)
    assert [limiter.take("a") for _ in range(2)] == [0.0, 0.0]
    wait = limiter.take("a")
    assert wait == pytest.approx(0.5) and retry_after(wait) == "1"
    assert limiter.take("b") == 0.0  # another address has its own bucket
    clock.advance(0.5)
    assert limiter.take("a") == 0.0


def test_memory_is_bounded_by_max_clients() -> None:
    limiter = TokenBucketLimiter(1.0, 1, clock=ManualClock(), max_clients=100)
    for n in range(1000):
        limiter.take(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == 100


def test_the_push_api_answers_429_with_retry_after(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    clock = ManualClock()
    settings = Settings(push={"token": "rl-token", "rate_per_s": 1, "rate_burst": 3})
    app = create_app(settings, engine, clock=clock)

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            replies = [await client.post("/api/v1/events/emr_patient_info", headers=AUTH,
                                         json=sample_record("emr_patient_info", f"p{i}"))
                       for i in range(4)]
            clock.advance(1.0)
            replies.append(await client.post("/api/v1/events/emr_patient_info", headers=AUTH,
                                             json=sample_record("emr_patient_info", "p9")))
            return replies
    replies = asyncio.run(go())
    assert [r.status_code for r in replies] == [202, 202, 202, 429, 202]
    refused = replies[3]
    assert refused.headers["Retry-After"] == "1" and "推送过于频繁" in refused.json()["error"]
    engine.dispose()


def test_without_a_rate_the_push_api_is_not_limited(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    app = create_app(Settings(push={"token": "rl-token"}), engine, clock=ManualClock())

    async def go() -> set[int]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return {(await client.post("/api/v1/events/emr_patient_info", headers=AUTH,
                                       content=b"{}")).status_code for _ in range(50)}
    assert 429 not in asyncio.run(go())
    engine.dispose()
