"""The circuit breaker in a running worker, on SQLite and PostgreSQL: a receiver that is down
gets a trickle of probes, not a request per queued record, and when it is back every waiting
retry goes at once instead of waiting out its back-off."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine, func, select

from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary.validator import Validator
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing import sample_record
from hisbridge.testing.targets import RecordingTarget, ok, unreachable

pytestmark = pytest.mark.services

RECORDS = 60


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    return store_engine


def service(engine: Engine, target: RecordingTarget, threshold: int) -> DeliveryService:
    options = WorkerOptions(concurrency=4, batch_size=20, lease_s=60, idle_poll_s=0.02,
                            flush_s=0.005, breaker_threshold=threshold, breaker_base_s=0.05,
                            breaker_max_s=0.2)
    # A minute's back-off: without the breaker's "retry now" the test would time out.
    policy = RetryPolicy(base_s=60.0, cap_s=600.0, max_attempts=50, jitter=0.0)
    return DeliveryService(engine, target, intake=StoreIntake(engine, Validator("lenient")),
                           queue=OutboxQueue(engine), policy=policy, options=options)


def delivered(engine: Engine) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(outbox).where(outbox.c.state == "delivered")
        return int(conn.execute(query).scalar_one())


async def test_a_down_receiver_gets_probes_then_everything_at_once(engine: Engine) -> None:
    target = RecordingTarget(default=unreachable())
    svc = service(engine, target, threshold=3)
    rows = [sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(RECORDS)]
    assert svc.accept("emr_patient_info", rows).accepted == RECORDS
    svc.start()
    try:
        for _ in range(200):
            await asyncio.sleep(0.01)
            if svc.worker is not None and svc.worker.breaker.is_open:
                break
        assert svc.worker is not None and svc.worker.breaker.is_open
        await asyncio.sleep(1.0)  # the receiver stays down for a second
        reachable = svc.metrics.reachable.labels(target.name)
        assert reachable._value.get() == 0  # set when it changed, not per record
        sent_while_down = len(target.calls)
        # 3 to open it, at most 4 already on their way, then one probe per 0.05 → 0.2 s.
        assert sent_while_down <= 3 + 4 + 12, sent_while_down
        target.default = ok()
        assert await svc.run_until_idle(timeout=15), "waiting retries were not made due"
        assert delivered(engine) == RECORDS
        assert not svc.worker.breaker.is_open
        assert reachable._value.get() == 1  # and back when the receiver answered again
    finally:
        await svc.stop()


async def test_without_the_breaker_every_record_is_tried(engine: Engine) -> None:
    """The control: the same outage with the breaker off sends each record at least once."""
    target = RecordingTarget(default=unreachable())
    svc = service(engine, target, threshold=0)
    rows = [sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(RECORDS)]
    svc.accept("emr_patient_info", rows)
    svc.start()
    try:
        await asyncio.sleep(1.0)
        assert len({c.record_id for c in target.calls}) == RECORDS
        assert svc.worker is not None and not svc.worker.breaker.is_open
    finally:
        await svc.stop()


def test_retry_now_makes_only_waiting_entries_due(engine: Engine) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from hisbridge._clock import system_clock
    from hisbridge.store.times import to_store

    intake = StoreIntake(engine, Validator("lenient"))
    intake.accept("emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i)
                                       for i in range(4)])
    later = to_store(system_clock.now() + timedelta(hours=1))
    with engine.begin() as conn:
        ids = [r.id for r in conn.execute(select(outbox.c.id).order_by(outbox.c.id))]
        conn.execute(update(outbox).where(outbox.c.id.in_(ids[:3]))
                     .values(state="retry_wait", next_attempt_at=later))
    assert OutboxQueue(engine).retry_now() == 3
    claimed = OutboxQueue(engine).claim("w", 10, 30)
    assert sorted(i.outbox_id for i in claimed) == ids  # the three waiting ones and the pending


def test_retry_now_with_a_limit_moves_only_the_first_waiting_entries(engine: Engine) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from hisbridge._clock import system_clock
    from hisbridge.store.times import to_store

    StoreIntake(engine, Validator("lenient")).accept(
        "emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(5)])
    now = system_clock.now()
    with engine.begin() as conn:
        ids = [r.id for r in conn.execute(select(outbox.c.id).order_by(outbox.c.id))]
        for hours, outbox_id in enumerate(ids, start=1):  # the first id is due soonest
            conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(
                state="retry_wait", next_attempt_at=to_store(now + timedelta(hours=hours))))
    assert OutboxQueue(engine).retry_now(1) == 1
    assert [i.outbox_id for i in OutboxQueue(engine).claim("w", 10, 30)] == ids[:1]
