"""Retention against real stores (SQLite and PostgreSQL): what goes, what always stays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from hisbridge.delivery.outcome import Outcome
from hisbridge.delivery.retry import Decision
from hisbridge.dictionary import Validator
from hisbridge.settings import RetentionSettings
from hisbridge.sources.reconcile import key_states
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.outbox import Completion, OutboxQueue
from hisbridge.store.queries import ReplayFilter, replay
from hisbridge.store.retention import PruneReport, prune
from hisbridge.store.schema.outbox import attempts, outbox, record_keys, records
from hisbridge.testing import ManualClock, sample_record

pytestmark = pytest.mark.services
TABLE = "emr_patient_info"


@dataclass
class Store:
    engine: Engine
    clock: ManualClock
    intake: StoreIntake
    queue: OutboxQueue

    def accept(self, rid: str, tel: str = "13800000000") -> Any:
        return self.intake.accept(TABLE, [sample_record(TABLE, rid, tel=tel)], source="t")

    def finish(self, action: str) -> list[int]:
        """Claim every due entry and end each with ``action`` (delivered, retry or dead)."""
        items = self.queue.claim("w", 100, 60.0)
        outcome = Outcome.delivered() if action == "delivered" else Outcome("terminal", "bad")
        nxt = self.clock.now() if action == "retry" else None
        self.queue.complete("w", "test", [
            Completion(i, outcome, Decision(action, nxt), self.clock.now())  # type: ignore[arg-type]
            for i in items])
        return [i.outbox_id for i in items]

    def count(self, table: Any, *where: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table).where(*where))
                       .scalar() or 0)

    def prune(self, dry_run: bool = False, **days: int) -> PruneReport:
        return prune(self.engine, RetentionSettings(**days), self.clock.now(), dry_run=dry_run)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    clock = ManualClock()
    yield Store(engine, clock, StoreIntake(engine, Validator("lenient"), clock=clock),
                OutboxQueue(engine, clock=clock, parent_wait_s=0.0))
    engine.dispose()


def _versions(store: Store, rid: str) -> list[int]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(records.c.version).where(
            records.c.record_id == rid)).scalars())


def test_old_superseded_versions_go_and_the_newest_stays_unchanged(store: Store) -> None:
    store.accept("p0", tel="1")
    store.finish("delivered")
    store.clock.advance(days=1)
    store.accept("p0", tel="2")
    store.finish("delivered")
    store.clock.advance(days=100)
    done = store.prune()
    assert (done.counts["outbox"], done.counts["records"], done.counts["attempts"]) == (1, 1, 2)
    assert _versions(store, "p0") == [2]
    assert store.count(outbox) == 1 and store.count(attempts) == 0
    assert store.count(record_keys, record_keys.c.version == 2) == 1
    assert store.accept("p0", tel="2").unchanged == 1  # the newest version still dedups
    assert store.accept("p0", tel="1").accepted == 1  # an old content is a new version (3)
    assert _versions(store, "p0") == [2, 3]


def test_queued_entries_are_never_pruned_whatever_their_age(store: Store) -> None:
    for rid, action in (("c", "claim"), ("b", "retry"), ("a", None)):
        store.accept(rid, tel="1")
        if action == "retry":
            store.finish("retry")
        elif action == "claim":
            store.queue.claim("w", 100, 10**9)
        store.accept(rid, tel="2")  # the queued entry is no longer the newest version
    store.clock.advance(days=3000)
    done = store.prune(delivered_days=1, dead_days=1, attempts_days=1)
    assert done.counts["outbox"] == done.counts["records"] == 0
    assert store.count(outbox) == 6 and store.count(records) == 6
    with store.engine.connect() as conn:  # closed: a leaked PostgreSQL connection warns later
        states = {s for (s,) in conn.execute(select(outbox.c.state)).all()}
    assert states == {"pending", "retry_wait", "in_flight"}


def test_dead_letters_stay_until_dead_days(store: Store) -> None:
    store.accept("p0", tel="1")
    store.finish("dead")
    store.accept("p0", tel="2")
    store.finish("delivered")
    store.clock.advance(days=364)
    assert store.prune().counts["outbox"] == 0
    assert store.count(outbox, outbox.c.state == "dead") == 1
    store.clock.advance(days=2)
    done = store.prune()
    assert (done.counts["outbox"], done.counts["records"]) == (1, 1)
    assert store.count(outbox, outbox.c.state == "dead") == 0 and _versions(store, "p0") == [2]


def test_the_newest_delivered_entry_stays_for_children_to_see_their_parent(store: Store) -> None:
    store.accept("p0", tel="1")
    store.finish("delivered")
    store.accept("p0", tel="2")
    store.finish("dead")  # the newest version died; version 1 is the only delivered one
    store.clock.advance(days=400)
    assert store.prune().counts["outbox"] == 0
    assert store.count(outbox, outbox.c.state == "delivered") == 1


def test_a_replayed_dead_entry_goes_after_its_replay(store: Store) -> None:
    store.accept("p0", tel="1")
    store.finish("dead")
    assert replay(store.engine, ReplayFilter(TABLE), store.clock.now()).replayed == 1
    store.finish("delivered")
    store.accept("p0", tel="2")
    store.finish("delivered")
    store.clock.advance(days=400)
    first_dry = store.prune(dry_run=True)
    first = store.prune()
    assert first_dry.counts == first.counts
    assert (first.counts["outbox"], first.counts["records"]) == (1, 0)  # the replay
    assert store.count(outbox, outbox.c.state == "dead") == 1 and _versions(store, "p0") == [1, 2]
    second = store.prune()
    assert (second.counts["outbox"], second.counts["records"]) == (1, 1)
    assert _versions(store, "p0") == [2] and store.count(outbox) == 1


def _mixed(store: Store) -> None:
    for i in range(6):
        store.accept(f"k{i}", tel="1")
    store.finish("delivered")
    store.accept("k0", tel="2")
    store.accept("k1", tel="2")
    store.finish("dead")
    store.clock.advance(days=200)
    for i in range(2, 6):
        store.accept(f"k{i}", tel="3")
    store.finish("delivered")
    store.accept("k5", tel="4")  # queued
    store.intake.accept(TABLE, [{"id": "bad", "operation_time": "31/02/2026"}])
    store.clock.advance(days=100)


def test_batches_are_bounded(store: Store) -> None:
    _mixed(store)
    seen: list[tuple[str, int]] = []
    done = prune(store.engine, RetentionSettings(batch_size=2), store.clock.now(),
                 progress=lambda table, rows: seen.append((table, rows)))
    assert done.counts["outbox"] == 4
    assert [n for t, n in seen if t == "outbox"] == [2, 2]
    assert all(n <= 2 for t, n in seen if t != "attempts")


def test_a_dry_run_deletes_nothing_and_counts_what_a_run_deletes(store: Store) -> None:
    _mixed(store)
    tables = (outbox, records, attempts, record_keys)
    before = [store.count(t) for t in tables]
    dry = store.prune(dry_run=True, batch_size=3)
    assert [store.count(t) for t in tables] == before
    real = store.prune(batch_size=3)
    assert dry.counts == real.counts and real.total > 0
    after = [store.count(t) for t in tables]
    assert before[0] - after[0] == real.counts["outbox"]
    assert before[1] - after[1] == real.counts["records"]
    assert before[2] - after[2] == real.counts["attempts"]
    assert after[3] == before[3]  # record_keys are never pruned


def test_reconciliation_reads_the_same_after_a_prune(store: Store) -> None:
    _mixed(store)
    keys = [f"k{i}" for i in range(6)] + ["bad", "never-seen"]
    before = key_states(store.engine, TABLE, keys)
    assert store.prune().counts["outbox"] == 4
    assert key_states(store.engine, TABLE, keys) == before
    assert set(before.values()) == {"delivered", "dead", "pending", "quarantined"}


def test_nothing_goes_while_every_period_is_forever(store: Store) -> None:
    _mixed(store)
    forever = {name: 0 for name in RetentionSettings.model_fields if name.endswith("_days")}
    assert store.prune(**forever).total == 0


def test_times_are_compared_as_instants(store: Store) -> None:
    store.accept("p0", tel="1")
    store.finish("delivered")
    store.accept("p0", tel="2")
    store.finish("delivered")
    store.clock.advance(days=90)  # exactly 90 days: not yet older than the period
    assert store.prune().counts["outbox"] == 0
    store.clock.advance(seconds=1)
    assert store.prune().counts["outbox"] == 1


def test_the_run_ends_without_a_dry_run_difference_at_scale(store: Store) -> None:
    for i in range(30):
        store.accept(f"s{i}", tel="1")
    store.finish("delivered")
    for i in range(30):
        store.accept(f"s{i}", tel="2")
    store.finish("delivered")
    store.clock.advance(days=91)
    dry = store.prune(dry_run=True, batch_size=7)
    real = store.prune(batch_size=7)
    assert dry.counts == real.counts and real.counts["outbox"] == 30
    assert store.count(records) == 30 and store.count(outbox) == 30


def test_the_gateway_loop_prunes_on_its_own(store: Store) -> None:
    import asyncio

    from hisbridge.store.retention import prune_loop

    store.accept("p0", tel="1")
    store.finish("delivered")
    store.accept("p0", tel="2")
    store.finish("delivered")
    store.clock.advance(days=91)

    async def run_until_pruned() -> None:
        task = asyncio.create_task(prune_loop(store.engine, RetentionSettings(every_s=0.01),
                                              store.clock))
        for _ in range(500):
            await asyncio.sleep(0.01)
            if store.count(outbox) == 1:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert await prune_loop(store.engine, RetentionSettings(every_s=0)) is None  # off

    asyncio.run(run_until_pruned())
    assert store.count(outbox) == 1 and _versions(store, "p0") == [2]
