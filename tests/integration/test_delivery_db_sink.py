"""The database sink into PostgreSQL and MariaDB, driven by the delivery service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from hisbridge import _json
from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend import db_sink
from hisbridge.connectors.frontend.config import DbSinkConfig
from hisbridge.connectors.frontend.db_sink import FrontendDbSink
from hisbridge.delivery.outcome import DeliveryItem
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.queries import dead_entries
from hisbridge.store.schema.outbox import outbox, records
from hisbridge.testing import sample_record

pytestmark = pytest.mark.services


@pytest.fixture(params=["postgresql", "mariadb"])
def sink_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("pg_url" if request.param == "postgresql" else "mysql_url"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


def service_for(store: Engine, sink: FrontendDbSink) -> DeliveryService:
    clock = ManualClock()
    return DeliveryService(
        store, sink, intake=StoreIntake(store, Validator("lenient"), clock=clock),
        queue=OutboxQueue(store, clock=clock),
        policy=RetryPolicy(max_attempts=3, jitter=0.0),
        options=WorkerOptions(batch_size=100, idle_poll_s=0.05, flush_s=0.005), clock=clock)


async def test_upserts_updates_and_deletes_land_in_the_national_tables(
        store: Engine, sink_url: str) -> None:
    sink = FrontendDbSink(DbSinkConfig(sink_url))
    service = service_for(store, sink)
    rows = [sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(120)]
    assert service.accept("emr_patient_info", rows).accepted == 120
    labs = [sample_record("emr_ex_lab", f"l{i}", parent_id=f"p{i}",
                          operation_time="2026-03-02 10:00:00") for i in range(10)]
    service.accept("emr_ex_lab", labs)
    assert await service.run_until_idle(30)
    service.accept("emr_patient_info", [sample_record("emr_patient_info", "p1", serial=1,
                                                      tel="13912345678")])
    service.accept("emr_patient_info", [{"id": "p2"}], op="delete")
    assert await service.run_until_idle(30)
    with sink.engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM emr_patient_info")).scalars())
        tel = conn.execute(text("SELECT tel FROM emr_patient_info WHERE id = 'p1'")).scalar()
        when = conn.execute(text("SELECT operation_time FROM emr_ex_lab WHERE id = 'l3'")).scalar()
        labs_in = conn.execute(text("SELECT count(*) FROM emr_ex_lab")).scalar()
    assert dead_entries(store) == []
    assert ids == {f"p{i}" for i in range(120)} - {"p2"}
    assert tel == "13912345678"
    assert when is not None and when.year == 2026
    assert labs_in == 9  # p2's lab report went with it: no orphan in the national tables
    await service.stop()


async def test_a_bad_row_is_dead_lettered_alone_and_base_dept_is_never_deleted(
        store: Engine, sink_url: str) -> None:
    sink = FrontendDbSink(DbSinkConfig(sink_url))
    service = service_for(store, sink)
    rows = [sample_record("base_dept", f"D{i:02d}", serial=i) for i in range(5)]
    service.accept("base_dept", rows)
    assert await service.run_until_idle(30)
    # The store refuses base_dept deletes up front; a queued one (older data) is refused too.
    with store.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.record_id == "D01")
                     .values(op="delete", state="pending"))
    # A value longer than its column breaks only its own row. The validator would have caught
    # it, so the stored payload is edited, as data stored before a dictionary fix would be.
    # 30 rows: large enough for the COPY path on PostgreSQL.
    keys = ["bad", *(f"ok{n}" for n in range(29))]
    service.accept("emr_patient_info", [sample_record("emr_patient_info", key, serial=n)
                                        for n, key in enumerate(keys)])
    with store.begin() as conn:
        long_code = sample_record("emr_patient_info", "bad", serial=1, nation_code="0" * 40)
        conn.execute(records.update().where(records.c.record_id == "bad")
                     .values(payload=_json.dumps_str(long_code)))
    assert await service.run_until_idle(30)
    dead = {d.record_id: d.reason for d in dead_entries(store)}
    assert set(dead) == {"D01", "bad"}
    assert "base_dept" in dead["D01"]
    with sink.engine.connect() as conn:
        depts = conn.execute(text("SELECT count(*) FROM base_dept")).scalar()
        patients = set(conn.execute(text("SELECT id FROM emr_patient_info")).scalars())
    assert depts == 5 and patients == set(keys) - {"bad"}
    with store.connect() as conn:
        assert conn.execute(select(outbox.c.state).where(outbox.c.record_id == "ok2")).scalar() \
            == "delivered"
    await service.stop()


def _items(keys: list[str], start: int = 0, **fields: str) -> list[DeliveryItem]:
    when = datetime(2026, 3, 1, tzinfo=UTC)
    return [DeliveryItem(start + n, "emr_patient_info", key, 1, "upsert",
                         _json.dumps_str(sample_record("emr_patient_info", key, serial=n,
                                                       **fields)), 1, when)
            for n, key in enumerate(keys)]


async def test_new_keys_go_in_by_copy_and_known_ones_by_the_staged_upsert(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = FrontendDbSink(DbSinkConfig(pg_url))
    copies: list[tuple[str, int]] = []
    plain_copy = db_sink._copy

    def noted(cursor: Any, into: str, columns: str, names: list[str],
              rows: list[dict[str, Any]]) -> None:
        copies.append((into.strip('"'), len(rows)))
        plain_copy(cursor, into, columns, names, rows)

    monkeypatch.setattr(db_sink, "_copy", noted)
    first = [f"k{n}" for n in range(30)]
    assert all(o.ok for o in await sink.deliver_batch(_items(first)))
    assert copies == [("emr_patient_info", 30)]  # a backlog of new keys: COPY, nothing staged
    copies.clear()
    again = first[:25] + [f"n{n}" for n in range(15)]  # 25 known (changed), 15 new
    assert all(o.ok for o in await sink.deliver_batch(_items(again, 100, tel="13912345678")))
    assert sorted(copies) == [("emr_patient_info", 15), ("hb_stage_emr_patient_info", 25)]
    with sink.engine.connect() as conn:
        tels = dict(conn.execute(text("SELECT id, tel FROM emr_patient_info")).all())
    assert set(tels) == set(first) | set(again)
    assert {k for k, tel in tels.items() if tel == "13912345678"} == set(again)
    await sink.aclose()


async def test_a_key_inserted_by_another_writer_meanwhile_is_still_upserted(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = FrontendDbSink(DbSinkConfig(pg_url))
    sink.ensure_tables()
    plain_copy = db_sink._copy

    def raced(cursor: Any, into: str, columns: str, names: list[str],
              rows: list[dict[str, Any]]) -> None:
        if len(rows) > 1:  # after the look-up found nothing, another writer inserts k7
            with sink.engine.begin() as other:
                other.execute(text("INSERT INTO emr_patient_info (id) VALUES ('k7')"))
        plain_copy(cursor, into, columns, names, rows)

    monkeypatch.setattr(db_sink, "_copy", raced)
    outcomes = await sink.deliver_batch(_items([f"k{n}" for n in range(30)], tel="13912345678"))
    assert [o.verdict for o in outcomes] == ["delivered"] * 30  # row by row, none lost
    with sink.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, tel FROM emr_patient_info")).all())
    assert len(rows) == 30 and rows["k7"] == "13912345678"
    await sink.aclose()
