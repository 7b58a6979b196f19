"""A batch target (the database sink's shape) through the worker, on a SQLite and a PostgreSQL
store: a batch written whole is recorded per batch yet counted per record and per table; a
batch with failures still gets each record's own outcome, retry and dead letter."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, select

from hisbridge._clock import ManualClock
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.queries import dead_entries
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing import sample_record
from hisbridge.testing.targets import ok, rejected

pytestmark = pytest.mark.services


class BatchRecorder:
    """Answers every batch from ``refuse`` (record id -> outcome), else delivered."""

    name = "batch"

    def __init__(self, refuse: dict[str, Outcome] | None = None) -> None:
        self.refuse = refuse or {}
        self.batches: list[list[str]] = []

    async def deliver(self, item: DeliveryItem) -> Outcome:
        [outcome] = await self.deliver_batch([item])
        return outcome

    async def deliver_batch(self, items: Sequence[DeliveryItem]) -> list[Outcome]:
        self.batches.append([i.record_id for i in items])
        return [self.refuse.get(i.record_id, ok()) for i in items]

    async def aclose(self) -> None:
        return None


def service(engine: Engine, target: BatchRecorder) -> DeliveryService:
    clock = ManualClock()
    return DeliveryService(
        engine, target, intake=StoreIntake(engine, Validator("lenient"), clock=clock),
        queue=OutboxQueue(engine, clock=clock, wire=False),
        policy=RetryPolicy(max_attempts=3, jitter=0.0),
        options=WorkerOptions(batch_size=100, idle_poll_s=0.05, flush_s=0.005), clock=clock)


async def test_a_whole_batch_is_counted_per_record_and_table(store_engine: Engine) -> None:
    target = BatchRecorder()
    svc = service(store_engine, target)
    svc.accept("emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i)
                                    for i in range(70)])
    svc.accept("base_dept", [sample_record("base_dept", f"D{i}", serial=i) for i in range(30)])
    assert await svc.run_until_idle(30)
    await svc.stop()
    m = svc.metrics
    assert m.delivered.labels("emr_patient_info")._value.get() == 70
    assert m.delivered.labels("base_dept")._value.get() == 30
    count = {s.name: s.value for metric in m.latency.collect() for s in metric.samples}
    assert count["hisbridge_delivery_latency_seconds_count"] == 100  # one reading per record
    assert sum(len(b) for b in target.batches) == 100 and len(target.batches) < 100
    with store_engine.connect() as conn:
        assert set(conn.execute(select(outbox.c.state)).scalars()) == {"delivered"}


async def test_a_refused_record_in_a_batch_is_dead_lettered_alone(store_engine: Engine) -> None:
    target = BatchRecorder({"p3": rejected("04")})
    svc = service(store_engine, target)
    svc.accept("emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i)
                                    for i in range(10)])
    assert await svc.run_until_idle(30)
    await svc.stop()
    dead = {d.record_id: d.reason for d in dead_entries(store_engine)}
    assert list(dead) == ["p3"] and "数据校验错误" in dead["p3"]
    assert svc.metrics.dead.labels("emr_patient_info")._value.get() == 1
    assert svc.metrics.delivered.labels("emr_patient_info")._value.get() == 9


async def test_a_group_lanes_whole_batch_sets_its_own_reachable_gauge(store_engine: Engine) -> None:
    """A lane's batch names its receiver with its institution (``target_name``) in the reachable
    gauge, like every other metric of the lane, not the bare target's name."""
    from hisbridge.runtime.worker import DeliveryWorker

    target = BatchRecorder()
    svc = service(store_engine, target)
    svc.accept("emr_patient_info", [sample_record("emr_patient_info", f"g{i}", serial=i)
                                    for i in range(5)])
    worker = DeliveryWorker(svc.queue, target, policy=RetryPolicy(), metrics=svc.metrics,
                            options=WorkerOptions(idle_poll_s=0.05, flush_s=0.005),
                            target_name="batch [T01]")
    assert await worker.run_until_idle(30)
    await worker.stop()
    samples = {s.labels["target"]: s.value for metric in svc.metrics.reachable.collect()
               for s in metric.samples}
    assert samples == {"batch [T01]": 1}
