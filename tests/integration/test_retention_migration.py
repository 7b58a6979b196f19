"""Upgrading a store that has queued work to the retention indexes keeps every row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select

from hisbridge.dictionary import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import alembic_config, current_heads, pending, upgrade
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.schema.outbox import outbox, record_keys, records
from hisbridge.testing import ManualClock, sample_record

pytestmark = pytest.mark.services
BEFORE = ("outbox_0001", "sources_0001", "audit@head", "consent@head", "console@head",
          "messages@head")


@pytest.fixture
def engine(unmigrated_engine: Engine) -> Engine:
    """An empty store (SQLite, then PostgreSQL), migrated step by step by each test."""
    return unmigrated_engine


_OLD_KEYS = ("table_name", "record_id", "version", "content_hash")  # record_keys at outbox_0002


def _old(table: Any) -> list[Any]:
    """The columns the old schema had (later migrations add ``attempt_id``, ``wire`` and
    ``institution``)."""
    return [c for c in table.c if c.name not in ("attempt_id", "wire", "institution")]


def _rows(engine: Engine) -> list[list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(select(*cols).order_by(*t.primary_key.columns))]
                for t, cols in ((outbox, _old(outbox)), (records, _old(records)),
                                (record_keys, [record_keys.c[n] for n in _OLD_KEYS]))]


def _seed_old_schema(engine: Engine, clock: ManualClock) -> None:
    """Twenty patients accepted by the code of the time (raw rows of the old schema)."""
    from hisbridge.store.times import to_store

    now = to_store(clock.now())
    with engine.begin() as conn:
        for i in range(20):
            rid, state = f"p{i}", "in_flight" if i < 5 else "pending"
            conn.execute(records.insert().values(
                table_name="emr_patient_info", record_id=rid, version=1, op="upsert",
                content_hash=f"h{i}", payload=f'{{"id": "{rid}"}}', source="his",
                received_at=now))
            conn.execute(record_keys.insert().values(
                table_name="emr_patient_info", record_id=rid, version=1, content_hash=f"h{i}"))
            conn.execute(outbox.insert().values(
                table_name="emr_patient_info", record_id=rid, version=1, op="upsert",
                state=state, attempts=0, created_at=now, next_attempt_at=now, replayed=False))


def test_upgrade_from_the_previous_heads_keeps_queued_rows(engine: Engine) -> None:
    cfg = alembic_config(engine)
    for target in BEFORE:
        command.upgrade(cfg, target)
    assert {"outbox_0001", "sources_0001"} <= current_heads(engine) and pending(engine)
    clock = ManualClock()
    _seed_old_schema(engine, clock)  # some in flight, the rest pending
    before = _rows(engine)
    upgrade(engine)
    assert not pending(engine)
    assert _rows(engine) == before and len(before[0]) == 20
    names = {ix["name"] for ix in inspect(engine).get_indexes("outbox")}
    assert {"ix_outbox_finished_at_id", "ix_outbox_replay_of"} <= names
    intake = StoreIntake(engine, Validator("lenient"), clock=clock)
    assert intake.accept("emr_patient_info", [sample_record("emr_patient_info", "p0")]
                         ).accepted == 1


def test_the_retention_index_leaves_the_claims_plan_alone(tmp_path: Path) -> None:
    """SQLite once chose an index led by ``state`` for the claim's parent lookup: one scan of
    every delivered entry per child claimed. The retention index must not invite that."""
    from sqlalchemy import event

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    seen: list[tuple[str, object]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, sql, params, *_: seen.append((sql, params))
                 if sql.startswith("UPDATE outbox SET state") else None)
    OutboxQueue(engine).claim("w", 10, 60.0)
    raw = engine.raw_connection()
    try:
        plans = [row[3] for sql, params in seen
                 for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        raw.close()
        engine.dispose()
    parent = [p for p in plans if p.startswith("SEARCH parent")]
    assert len(parent) == 2 and all("ix_outbox_table_name_record_id" in p for p in parent)
