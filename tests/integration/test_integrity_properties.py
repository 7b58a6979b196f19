"""Referential integrity at the front-end, whatever the HIS does (property test).

Random sequences of inserts, updates (also moving a child to another parent) and deletes go
through the gateway's intake and delivery into the front-end simulator, with deliveries at
random points in between. Afterwards the simulator's tables must satisfy the front-end's
foreign keys (every child's parent is there) and hold exactly the records a simple model says
are alive: deleting a parent deletes its children (``delivery.on_parent_delete: cascade``), and
a child written while its parent is deleted stays away. Flagged deletes and hard deletes reach
the intake the same way (a hard delete is what the key-set sweep hands over), so both are
``delete`` steps here; ``test_sql_poll_deletes`` covers the sweep finding them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text

from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.testing import sample_record, serve_app

pytestmark = pytest.mark.services

# A small tree of the front-end's tables: patient -> lab report -> lab item, patient -> order
# -> order item, patient -> activity. Keys are few so that steps collide.
TREE = {"emr_patient_info": None, "emr_activity_info": "emr_patient_info",
        "emr_ex_lab": "emr_patient_info", "emr_ex_lab_item": "emr_ex_lab",
        "emr_order": "emr_patient_info", "emr_order_item": "emr_order"}
KEYS = 2
_RUNS = itertools.count()

Step = tuple[str, str, int, int]  # (op, table, key number, parent key number)
steps = st.lists(st.tuples(st.sampled_from(["upsert", "upsert", "delete", "deliver"]),
                           st.sampled_from(sorted(TREE)), st.integers(0, KEYS - 1),
                           st.integers(0, KEYS - 1)), min_size=1, max_size=40)


@dataclass
class Model:
    """What the front-end must hold: alive records and each one's parent."""

    alive: dict[tuple[str, str], bool] = field(default_factory=dict)
    parent: dict[tuple[str, str], tuple[str, str] | None] = field(default_factory=dict)

    def upsert(self, key: tuple[str, str], parent: tuple[str, str] | None) -> None:
        self.parent[key] = parent
        self.alive[key] = parent is None or self.alive.get(parent, False)

    def delete(self, key: tuple[str, str]) -> None:
        self.alive[key] = False
        for child, up in self.parent.items():
            if up == key and self.alive.get(child):
                self.delete(child)

    def expected(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {t: set() for t in TREE}
        for (table, rid), alive in self.alive.items():
            if alive:
                out[table].add(rid)
        return out


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[tuple[Any, str, str]]:
    db = f"sqlite:///{tmp_path / 'sim.db'}"
    app = create_frontend_app(FrontendSimConfig(mode="lenient"), store_url=db)
    with serve_app(app) as url:
        yield app.state.sim, url, db


async def _deliver(engine: Engine, url: str, clock: ManualClock) -> None:
    service = DeliveryService(
        engine, FrontendApiClient(DataApiConfig(base_url=url)),
        intake=StoreIntake(engine, Validator("lenient"), clock=clock),
        queue=OutboxQueue(engine, clock=clock),
        policy=RetryPolicy(base_s=1.0, max_attempts=5, jitter=0.0),
        options=WorkerOptions(concurrency=4, batch_size=20, idle_poll_s=0.02, flush_s=0.005),
        clock=clock)
    try:
        assert await service.run_until_idle(60)
    finally:
        await service.stop()


def _apply(intake: StoreIntake, model: Model, run: str, step: Step, serial: int) -> bool:
    """One step through the intake (and the model); False when it makes no sense yet."""
    op, table, number, parent_number = step
    key = (table, f"{run}-{table[4:]}-{number}")
    up_table = TREE[table]
    parent = (up_table, f"{run}-{up_table[4:]}-{parent_number}") if up_table else None
    if op == "delete":
        if key not in model.parent:
            return False
        intake.accept(table, [{"id": key[1]}], op="delete")
        model.delete(key)
        return True
    if parent is not None and parent not in model.parent:  # the HIS writes the parent first
        _apply(intake, model, run, ("upsert", parent[0], parent_number, parent_number), serial)
    intake.accept(table, [sample_record(table, key[1], parent_id=parent[1] if parent else None,
                                        serial=serial)])
    model.upsert(key, parent)
    return True


def _front_end(db: str, run: str) -> dict[str, set[str]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return {t: {r[0] for r in conn.execute(text(f"SELECT id FROM {t}"))
                        if str(r[0]).startswith(f"{run}-")} for t in TREE}
    finally:
        engine.dispose()


def _orphans(db: str) -> list[str]:
    """Children at the front-end whose parent is not there (the front-end's foreign keys)."""
    found = []
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            for spec in load_dictionary():
                for link in spec.parent_keys:
                    found += [f"{spec.name}.{rid} -> {link.table}.{pid}" for rid, pid in conn.execute(
                        text(f"SELECT c.id, c.{link.field} FROM {spec.name} c LEFT JOIN "
                             f"{link.table} p ON p.{link.column} = c.{link.field} "
                             f"WHERE p.{link.column} IS NULL"))]
    finally:
        engine.dispose()
    return found


def _check(engine: Engine, simulator: tuple[Any, str, str], sequence: list[Step]) -> None:
    sim, url, db = simulator
    clock, run, model = ManualClock(), f"r{next(_RUNS)}", Model()
    intake = StoreIntake(engine, Validator("lenient"), clock=clock)
    for serial, step in enumerate(sequence):
        if step[0] == "deliver":
            asyncio.run(_deliver(engine, url, clock))
        else:
            _apply(intake, model, run, step, serial)
    asyncio.run(_deliver(engine, url, clock))
    sim.store.commit()
    assert _orphans(db) == []
    assert _front_end(db, run) == model.expected()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=steps)
def test_no_orphan_after_any_sequence_sqlite(tmp_path: Path, simulator: tuple[Any, str, str],
                                             sequence: list[Step]) -> None:
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    try:
        _check(engine, simulator, sequence)
    finally:
        engine.dispose()


def test_no_orphan_postgres_example(pg_url: str, simulator: tuple[Any, str, str]) -> None:
    """One fixed sequence on PostgreSQL: a cancelled visit, a re-parented child, a re-insert."""
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    sequence: list[Step] = [
        ("upsert", "emr_patient_info", 0, 0), ("upsert", "emr_patient_info", 1, 0),
        ("upsert", "emr_ex_lab", 0, 0), ("upsert", "emr_ex_lab_item", 0, 0),
        ("upsert", "emr_order", 0, 0), ("upsert", "emr_order_item", 0, 0),
        ("upsert", "emr_activity_info", 0, 0), ("deliver", "", 0, 0),
        ("upsert", "emr_ex_lab", 1, 1), ("upsert", "emr_ex_lab_item", 1, 0),
        ("upsert", "emr_ex_lab_item", 1, 1),  # moved to the other report
        ("delete", "emr_patient_info", 0, 0),  # the cancelled registration
        ("upsert", "emr_activity_info", 0, 0),  # the HIS still returns the visit's activity
        ("upsert", "emr_patient_info", 0, 0), ("upsert", "emr_order", 2, 0),
        ("upsert", "emr_order_item", 2, 2), ("delete", "emr_ex_lab", 1, 0),
    ]
    try:
        _check(engine, simulator, sequence)
    finally:
        engine.dispose()


def _delete_paths(db: str) -> list[str]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return [p.rsplit("/", 1)[1] for (p,) in conn.execute(text(
                "SELECT path FROM sim_request WHERE method = 'DELETE' ORDER BY seq"))]
    finally:
        engine.dispose()


def _order_with_items(intake: StoreIntake, run: str) -> None:
    intake.accept("emr_patient_info", [sample_record("emr_patient_info", f"{run}-p")])
    intake.accept("emr_order", [sample_record("emr_order", f"{run}-o", parent_id=f"{run}-p")])
    intake.accept("emr_order_item", [sample_record("emr_order_item", f"{run}-oi{i}",
                                                   parent_id=f"{run}-o") for i in range(2)])


def test_deletes_go_children_first(simulator: tuple[Any, str, str], tmp_path: Path) -> None:
    """The HIS flags a prescription and its items deleted; the sweep hands them over parents
    first (tables are polled in that order). The front-end gets the items' DELETEs first."""
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade

    sim, url, db = simulator
    engine, clock = make_engine(f"sqlite:///{tmp_path / 'store.db'}"), ManualClock()
    upgrade(engine)
    intake = StoreIntake(engine, Validator("lenient"), clock=clock)
    _order_with_items(intake, "d")
    asyncio.run(_deliver(engine, url, clock))
    intake.accept("emr_order", [{"id": "d-o"}], op="delete")
    again = intake.accept("emr_order_item", [{"id": f"d-oi{i}"} for i in range(2)], op="delete")
    assert again.unchanged == 2  # already deleted with their order
    asyncio.run(_deliver(engine, url, clock))
    sim.store.commit()
    assert _delete_paths(db) == ["emrOrderItem", "emrOrderItem", "emrOrder"]
    assert _orphans(db) == []
    engine.dispose()


def test_a_cancelled_registration_takes_its_visit_along(simulator: tuple[Any, str, str],
                                                        tmp_path: Path) -> None:
    """The HIS deletes emr_patient_info (cancelled registration) but keeps the visit's rows:
    the front-end loses the whole visit, and re-extracting the kept rows sends nothing."""
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade

    sim, url, db = simulator
    engine, clock = make_engine(f"sqlite:///{tmp_path / 'store.db'}"), ManualClock()
    upgrade(engine)
    intake = StoreIntake(engine, Validator("lenient"), clock=clock)
    _order_with_items(intake, "c")
    intake.accept("emr_activity_info", [sample_record("emr_activity_info", "c-a",
                                                      parent_id="c-p")])
    asyncio.run(_deliver(engine, url, clock))
    intake.accept("emr_patient_info", [{"id": "c-p"}], op="delete")
    kept = intake.accept("emr_activity_info", [sample_record("emr_activity_info", "c-a",
                                                             parent_id="c-p", serial=9)])
    assert (kept.accepted, kept.withheld) == (0, 1)
    asyncio.run(_deliver(engine, url, clock))
    sim.store.commit()
    assert _orphans(db) == []
    assert _front_end(db, "c") == {t: set() for t in TREE}
    engine.dispose()


def test_hold_keeps_the_parent_until_the_his_deletes_the_children(
        simulator: tuple[Any, str, str], tmp_path: Path) -> None:
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade
    from hisbridge.store.queries import outbox_status

    sim, url, db = simulator
    engine, clock = make_engine(f"sqlite:///{tmp_path / 'store.db'}"), ManualClock()
    upgrade(engine)
    intake = StoreIntake(engine, Validator("lenient"), clock=clock, on_parent_delete="hold")
    _order_with_items(intake, "h")
    asyncio.run(_deliver(engine, url, clock))
    intake.accept("emr_order", [{"id": "h-o"}], op="delete")
    asyncio.run(_deliver(engine, url, clock))
    sim.store.commit()
    assert "h-o" in _front_end(db, "h")["emr_order"]  # held: its items are still there
    assert outbox_status(engine, clock.now()).counts["emr_order"].get("pending") == 1
    intake.accept("emr_order_item", [{"id": f"h-oi{i}"} for i in range(2)], op="delete")
    asyncio.run(_deliver(engine, url, clock))
    sim.store.commit()
    assert _front_end(db, "h")["emr_order"] == set() and _orphans(db) == []
    engine.dispose()
