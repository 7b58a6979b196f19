"""Property: over random mixes of states and ages, retention deletes only what it may.

Whatever the history of a record, after a prune (SQLite and PostgreSQL): queued entries are all
there, the newest version with its entries is there, a record that had a delivered entry still
has one, every remaining entry has its record version, nothing younger than its period went,
and a dry run counted exactly what the run deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select

from hisbridge.settings import RetentionSettings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.retention import prune
from hisbridge.store.retention.policy import TERMINAL_STATES, cutoffs, state_cutoff
from hisbridge.store.schema.outbox import OUTBOX_STATES, attempts, outbox, record_keys, records
from hisbridge.store.times import from_store, to_store
from hisbridge.testing import ManualClock

pytestmark = pytest.mark.services
NOW = ManualClock().now()

entry = st.fixed_dictionaries({
    "state": st.sampled_from(OUTBOX_STATES), "age": st.integers(0, 800),
    "tries": st.lists(st.integers(0, 800), max_size=3),
    "replay": st.none() | st.tuples(st.sampled_from(OUTBOX_STATES), st.integers(0, 800)),
})
histories = st.lists(st.lists(entry, min_size=1, max_size=4), min_size=1, max_size=4)
policies = st.fixed_dictionaries({
    "delivered_days": st.sampled_from((0, 1, 90)), "dead_days": st.sampled_from((0, 30, 365)),
    "attempts_days": st.sampled_from((0, 10, 30)), "batch_size": st.integers(1, 4)})


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _row(key: str, version: int, state: str, age: int, **extra: Any) -> dict[str, Any]:
    finished = to_store(NOW - timedelta(days=age))
    return {"table_name": "t", "record_id": key, "version": version, "op": "upsert",
            "state": state, "attempts": 0, "created_at": finished - timedelta(hours=1),
            "next_attempt_at": finished, "replayed": False,
            "finished_at": finished if state in TERMINAL_STATES else None, **extra}


def _add_entry(conn: Any, key: str, version: int, spec: dict[str, Any]) -> None:
    replay = spec["replay"] if spec["state"] == "dead" else None
    parent = conn.execute(insert(outbox).values(
        _row(key, version, spec["state"], spec["age"], replayed=replay is not None))
        .returning(outbox.c.id)).scalar_one()
    for age in spec["tries"]:
        conn.execute(insert(attempts).values(
            outbox_id=parent, attempt_no=1, started_at=to_store(NOW - timedelta(days=age)),
            duration_ms=1.0, target="t", verdict="x", worker="w"))
    if replay is not None:  # a replay ends after the entry it replays
        state, age = replay
        conn.execute(insert(outbox).values(
            _row(key, version, state, min(age, spec["age"]), replay_of=parent)))


def _load(engine: Engine, history: list[list[dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for n, versions in enumerate(history):
            key = f"k{n}"
            for version, spec in enumerate(versions, start=1):
                conn.execute(insert(records).values(
                    table_name="t", record_id=key, version=version, op="upsert",
                    content_hash=f"h{version}", payload="{}", source="s",
                    received_at=to_store(NOW)))
                _add_entry(conn, key, version, spec)
            conn.execute(insert(record_keys).values(table_name="t", record_id=key,
                                                    version=len(versions), content_hash="h"))


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(attempts))
        conn.execute(delete(outbox).where(outbox.c.replay_of.is_not(None)))
        for table in (outbox, records, record_keys):
            conn.execute(delete(table))


def _snapshot(engine: Engine) -> tuple[dict[int, Any], set[tuple[str, int]], set[Any]]:
    with engine.connect() as conn:
        entries = {r.id: r for r in conn.execute(select(outbox))}
        versions = {(r.record_id, r.version) for r in conn.execute(select(records))}
        keys = set(conn.execute(select(record_keys)).all())
    return entries, versions, keys


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, policy=policies)
def test_prune_deletes_only_what_it_may(engine: Engine, history: list[list[dict[str, Any]]],
                                       policy: dict[str, int]) -> None:
    _clear(engine)
    _load(engine, history)
    retention = RetentionSettings(**policy)
    before, _, keys_before = _snapshot(engine)
    dry = prune(engine, retention, NOW, dry_run=True)
    assert _snapshot(engine)[0].keys() == before.keys()
    done = prune(engine, retention, NOW)
    assert dry.counts == done.counts
    after, versions, keys_after = _snapshot(engine)
    assert keys_after == keys_before
    limits = cutoffs(retention, NOW)
    for gone in before.keys() - after.keys():
        row = before[gone]
        cutoff = state_cutoff(limits, row.state)
        assert row.state in TERMINAL_STATES and cutoff is not None
        assert to_store(from_store(row.finished_at)) < cutoff  # type: ignore[arg-type]
    latest = {rid: v for _, rid, v, *_ in keys_before}
    for row in before.values():
        kept = row.id in after
        if row.state not in TERMINAL_STATES or row.version == latest[row.record_id]:
            assert kept, f"{row.state} v{row.version} of {row.record_id} was pruned"
    for rid in latest:
        had = any(r.state == "delivered" for r in before.values() if r.record_id == rid)
        has = any(r.state == "delivered" for r in after.values() if r.record_id == rid)
        assert has == had
        assert (rid, latest[rid]) in versions
    assert all((r.record_id, r.version) in versions for r in after.values())
    assert len(before) - len(after) == done.counts["outbox"]
