"""Delivery scenarios, the same against a SQLite and a PostgreSQL store (recording target)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from hisbridge._clock import ManualClock
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import PARENT_LATE, OutboxQueue
from hisbridge.store.queries import ReplayFilter, dead_entries, outbox_status, replay
from hisbridge.store.schema.outbox import attempts, outbox
from hisbridge.testing import RecordingTarget, sample_record
from hisbridge.testing.targets import busy, ok, rejected

pytestmark = pytest.mark.services


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    return store_engine


def make_service(engine: Engine, target: RecordingTarget, clock: ManualClock, *,
                 parent_wait_s: float = 600.0, concurrency: int = 8, lease_s: float = 60.0,
                 on_parent_timeout: str = "send", grace_s: float = 10.0) -> DeliveryService:
    intake = StoreIntake(engine, Validator("lenient"), clock=clock)
    queue = OutboxQueue(engine, clock=clock, parent_wait_s=parent_wait_s)
    options = WorkerOptions(concurrency=concurrency, batch_size=50, lease_s=lease_s,
                            idle_poll_s=0.05, flush_s=0.005,
                            on_parent_timeout=on_parent_timeout,  # type: ignore[arg-type]
                            shutdown_grace_s=grace_s)
    policy = RetryPolicy(base_s=1.0, cap_s=30.0, max_attempts=5, jitter=0.0)
    return DeliveryService(engine, target, intake=intake, queue=queue, policy=policy,
                           options=options, clock=clock)


def patients(n: int, start: int = 0) -> list[dict[str, object]]:
    return [sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(start, start + n)]


def states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.record_id, outbox.c.version, outbox.c.state)).all()
    return {f"{r.record_id}@{r.version}": r.state for r in rows}


async def test_accepted_records_are_delivered_once_and_unchanged_ones_not_again(
        engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    service = make_service(engine, target, clock)
    assert service.accept("emr_patient_info", patients(30), source="t").accepted == 30
    assert await service.run_until_idle(10)
    assert sorted(c.record_id for c in target.delivered) == sorted(f"p{i}" for i in range(30))
    again = service.accept("emr_patient_info", patients(30), source="t")
    assert (again.accepted, again.unchanged) == (0, 30)
    assert await service.run_until_idle(10)
    assert len(target.calls) == 30
    assert set(states(engine).values()) == {"delivered"}
    await service.stop()


async def test_versions_of_one_record_are_sent_in_order_under_concurrency(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget(latency_s=0.002)
    service = make_service(engine, target, clock, concurrency=16)
    keys = [f"p{i}" for i in range(20)]
    for version in range(1, 5):
        rows = [sample_record("emr_patient_info", k, serial=i, tel=f"1380000{version:04d}")
                for i, k in enumerate(keys)]
        random.Random(version).shuffle(rows)
        assert service.accept("emr_patient_info", rows).accepted == 20
    assert await service.run_until_idle(20)
    assert target.max_concurrency > 1
    for key in keys:
        sent = [c.version for c in target.calls if c.record_id == key]
        assert sent == [1, 2, 3, 4], (key, sent)
    await service.stop()


async def test_a_child_waits_for_its_parent(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    target.script("p1", [busy("01")])
    service = make_service(engine, target, clock)
    service.accept("emr_ex_lab", [sample_record("emr_ex_lab", "lab1", parent_id="p1")])
    service.accept("emr_patient_info", patients(1, start=1))
    assert await service.run_until_idle(10)
    assert [c.record_id for c in target.calls] == ["p1"]  # the parent failed once; child waits
    clock.advance(5)
    assert await service.run_until_idle(10)
    assert [(c.record_id, c.verdict) for c in target.calls] == [
        ("p1", "transient"), ("p1", "delivered"), ("lab1", "delivered")]
    await service.stop()


@pytest.mark.parametrize("policy", ["send", "dead"])
async def test_an_orphan_waits_a_bounded_time_then_is_reported(engine: Engine,
                                                                policy: str) -> None:
    clock, target = ManualClock(), RecordingTarget()
    service = make_service(engine, target, clock, parent_wait_s=60, on_parent_timeout=policy)
    service.accept("emr_order", [sample_record("emr_order", "o1", parent_id="nobody")])
    assert await service.run_until_idle(10)
    assert target.calls == []
    clock.advance(61)
    assert await service.run_until_idle(10)
    assert len(target.calls) == (1 if policy == "send" else 0)
    with engine.connect() as conn:
        row = conn.execute(select(outbox.c.state, outbox.c.note, outbox.c.last_error)).one()
    assert row.note == PARENT_LATE
    assert row.state == ("delivered" if policy == "send" else "dead")
    assert service.metrics.parent_late.labels("emr_order")._value.get() == 1
    await service.stop()


async def test_transient_errors_are_retried_to_success(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    target.script("p0", [busy("01"), busy("99", retry_after=20)])
    service = make_service(engine, target, clock)
    service.accept("emr_patient_info", patients(1))
    assert await service.run_until_idle(10)
    clock.advance(1.5)
    assert await service.run_until_idle(10)
    assert len(target.calls) == 2
    with engine.connect() as conn:
        entry = conn.execute(select(outbox)).one()
    assert entry.state == "retry_wait" and entry.error_code == "99"
    clock.advance(10)  # back-off says 2 s, Retry-After says 20 s: wait for Retry-After
    assert await service.run_until_idle(10)
    assert len(target.calls) == 2
    clock.advance(11)
    assert await service.run_until_idle(10)
    assert [c.verdict for c in target.calls] == ["transient", "transient", "delivered"]
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.state)).scalar() == "delivered"
        tries = conn.execute(select(attempts.c.attempt_no, attempts.c.verdict)
                             .order_by(attempts.c.id)).all()
    assert [tuple(t) for t in tries] == [(1, "transient"), (2, "transient"), (3, "delivered")]
    await service.stop()


async def test_terminal_errors_are_dead_lettered_and_do_not_block_the_table(
        engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    target.script("p1", [rejected("04")])
    service = make_service(engine, target, clock)
    service.accept("emr_patient_info", patients(3))
    assert await service.run_until_idle(10)
    assert states(engine) == {"p0@1": "delivered", "p1@1": "dead", "p2@1": "delivered"}
    [dead] = dead_entries(engine, "emr_patient_info")
    assert dead.record_id == "p1" and dead.error_code == "04" and "04" in (dead.reply or "")
    assert "数据校验错误" in dead.reason
    status = outbox_status(engine, clock.now())
    assert status.counts["emr_patient_info"] == {"delivered": 2, "dead": 1}
    await service.stop()


async def test_replay_of_dead_records_after_a_fix_delivers_them(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    for key in ("p0", "p1"):
        target.script(key, [rejected("02")])
    service = make_service(engine, target, clock)
    service.accept("emr_patient_info", patients(3))
    assert await service.run_until_idle(10)
    flt = ReplayFilter("emr_patient_info", error_code="02")
    preview = replay(engine, flt, clock.now(), dry_run=True)
    assert (preview.matched, preview.replayed) == (2, 0)
    done = replay(engine, flt, clock.now(), requested_by="test")
    assert (done.matched, done.replayed) == (2, 2) and done.replay_id
    assert await service.run_until_idle(10)
    with engine.connect() as conn:
        links = conn.execute(select(outbox.c.record_id, outbox.c.replay_of, outbox.c.state)
                             .where(outbox.c.replay_of.is_not(None))).all()
    assert sorted((r.record_id, r.state) for r in links) == [("p0", "delivered"),
                                                              ("p1", "delivered")]
    assert dead_entries(engine) == []
    assert replay(engine, flt, clock.now()).matched == 0
    await service.stop()


async def test_a_dead_version_overtaken_by_a_newer_one_is_not_replayed(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    target.script("p0", [rejected("04")])
    service = make_service(engine, target, clock)
    service.accept("emr_patient_info", patients(1))
    assert await service.run_until_idle(10)
    service.accept("emr_patient_info", [sample_record("emr_patient_info", "p0", tel="139")])
    assert await service.run_until_idle(10)
    result = replay(engine, ReplayFilter("emr_patient_info"), clock.now())
    assert (result.matched, result.superseded, result.replayed) == (1, 1, 0)
    await service.stop()


async def test_a_lost_worker_lease_returns_its_entries(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    service = make_service(engine, target, clock, lease_s=30)
    service.accept("emr_patient_info", patients(5))
    lost = OutboxQueue(engine, clock=clock).claim("dead-worker", 3, 30)
    assert len(lost) == 3
    assert await service.run_until_idle(10)
    assert len(target.calls) == 2  # the other worker holds three leases
    clock.advance(31)
    assert OutboxQueue(engine, clock=clock).reclaim_expired() == 3
    assert await service.run_until_idle(10)
    assert sorted(c.record_id for c in target.delivered) == [f"p{i}" for i in range(5)]
    await service.stop()


async def test_stopping_returns_unsent_work_to_pending(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget(latency_s=5)
    service = make_service(engine, target, clock, concurrency=2, grace_s=0.05)
    service.accept("emr_patient_info", patients(6))
    assert not await service.run_until_idle(0.3)
    await service.stop()
    assert target.delivered == []
    assert set(states(engine).values()) == {"pending"}
    with engine.connect() as conn:
        assert set(conn.execute(select(outbox.c.attempts)).scalars()) == {0}


async def test_deletes_are_sent_and_status_counts_them(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget(default=ok())
    service = make_service(engine, target, clock)
    service.accept("emr_patient_info", patients(2))
    service.accept("emr_patient_info", [{"id": "p0"}], op="delete")
    assert await service.run_until_idle(10)
    assert [(c.record_id, c.op) for c in target.calls if c.record_id == "p0"] == [
        ("p0", "upsert"), ("p0", "delete")]
    clock.advance(timedelta(minutes=1).total_seconds())
    status = outbox_status(engine, clock.now())
    assert status.total("delivered") == 3 and status.oldest_pending_s == {}
    await service.stop()


class ExplodingTarget(RecordingTarget):
    """A target with a bug: raises instead of returning an outcome, the first time."""

    def __init__(self) -> None:
        super().__init__()
        self.exploded = False

    async def deliver(self, item):  # type: ignore[no-untyped-def]
        if not self.exploded:
            self.exploded = True
            raise RuntimeError("bug")
        return await super().deliver(item)


async def test_a_target_that_raises_is_retried_not_fatal(engine: Engine) -> None:
    clock, target = ManualClock(), ExplodingTarget()
    service = make_service(engine, target, clock, concurrency=1)
    service.accept("emr_patient_info", patients(3))
    assert await service.run_until_idle(10)
    clock.advance(5)
    assert await service.run_until_idle(10)
    assert sorted(c.record_id for c in target.delivered) == ["p0", "p1", "p2"]
    await service.stop()
