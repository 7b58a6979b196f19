"""The console's record search by patient id and serial number goes through the payload
expression indexes: the same results as the former ``LIKE '%"field":"value"%'`` scan, on
SQLite and PostgreSQL, personal values still masked, and PostgreSQL's plan uses the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from hisbridge import _json
from hisbridge.ops.records import RecordQuery, _search, find_records
from hisbridge.store.schema.outbox import records

# Values that a LIKE pattern or a JSON text treats specially, and near misses.
IDS = ["P001", "P0010", "P_01", "P%01", 'P"q', "P\\b", "患者一", "p001", "P001 "]
BASE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _payload(i: int, patient: str, serial: str) -> str:
    return _json.dumps_str({"id": f"r{i}", "patient_id": patient, "serial_number": serial,
                            "name": "张三丰", "id_card_no": "440101199001011234",
                            "note": f'"patient_id":"{IDS[0]}" quoted in a note'})


def _rows(count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        patient, serial = IDS[i % len(IDS)], f"S{i % 97}"
        out.append({"table_name": "emr_activity_info", "record_id": f"r{i}", "version": 1,
                    "op": "upsert", "content_hash": "h", "payload": _payload(i, patient, serial),
                    "source": "test", "received_at": BASE + timedelta(seconds=i)})
    return out


def _like(field: str, value: str) -> Any:
    """The search as it was: the serialized pair anywhere in the payload."""
    pair = _json.dumps_str({field: value})[1:-1]
    pattern = "%" + pair.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return records.c.payload.like(pattern, escape="\\")


def _before(engine: Engine, field: str, value: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(records.c.record_id).where(_like(field, value)))
                   .scalars())


def _now(engine: Engine, field: str, value: str) -> set[str]:
    found, more = find_records(engine, RecordQuery(**{field: value}))
    assert not more or len(found) == 50
    with engine.connect() as conn:  # every match, not only the first page
        query = _search(RecordQuery(**{field: value}), engine.dialect.name).limit(None)
        return {row.record_id for row in conn.execute(query)}


@pytest.fixture
def filled(store_engine: Engine) -> Engine:
    with store_engine.begin() as conn:
        conn.execute(records.insert(), _rows(600))
    return store_engine


def test_same_results_as_the_former_scan(filled: Engine) -> None:
    for value in [*IDS, "P00", "nobody", "S1"]:
        assert _now(filled, "patient_id", value) == _before(filled, "patient_id", value), value
    for value in ["S1", "S10", "S96", "P001"]:
        assert _now(filled, "serial_number", value) == _before(filled, "serial_number", value)
    assert _now(filled, "patient_id", "P_01")  # LIKE's wildcards are plain characters


def test_results_stay_masked(store_engine: Engine) -> None:
    id_number, phone = "440101199001011234", "13800138000"  # a HIS using them as keys
    row = {**_rows(1)[0], "payload": _payload(0, id_number, phone)}
    with store_engine.begin() as conn:
        conn.execute(records.insert(), [row])
    for query in (RecordQuery(patient_id=id_number), RecordQuery(serial_number=phone)):
        found, _ = find_records(store_engine, query)
        assert [(f.patient_id, f.serial_number) for f in found] == [
            ("440***********1234", "138****8000")]


def _plan(engine: Engine, query: Any) -> str:
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    word = "EXPLAIN" if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE records"))
        return "\n".join(str(row[-1]) for row in conn.execute(text(f"{word} {compiled}")))


def test_the_plan_uses_the_index(store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        conn.execute(records.insert(), _rows(20_000))
    dialect = store_engine.dialect.name
    for field, index in (("patient_id", "ix_records_patient_id"),
                         ("serial_number", "ix_records_serial_number")):
        plan = _plan(store_engine, _search(RecordQuery(**{field: "S5" if "serial" in field
                                                          else "P001"}), dialect))
        assert index in plan, plan


def test_an_odd_payload_is_stored_and_found(store_engine: Engine) -> None:
    """The index expression never refuses a record: a NUL escape (which PostgreSQL's JSON
    operators reject) or a missing field."""
    odd = [_json.dumps_str({"patient_id": "P\x00Z", "serial_number": "S\x00"}),
           _json.dumps_str({"note": "no patient here"}),
           _json.dumps_str({"x": "\x00", "patient_id": "P9"})]
    rows = [{**_rows(1)[0], "record_id": f"odd{i}", "payload": p} for i, p in enumerate(odd)]
    with store_engine.begin() as conn:
        conn.execute(records.insert(), rows)
    assert _now(store_engine, "patient_id", "P9") == {"odd2"}
    assert _now(store_engine, "patient_id", "P\x00Z") == {"odd0"}
    assert _now(store_engine, "serial_number", "S\x00") == {"odd0"}
