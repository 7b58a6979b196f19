"""One dead-letter query: the CLI/API listing and the console page read the same rows.

The console used to select dead letters itself, unmasked (the page masked at render time);
now it reads ``store.queries.dead_letters`` like ``hisbridge outbox dead`` and the API, so the
rows are masked for every reader and the filters mean the same everywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from hisbridge.ops.dead import list_dead
from hisbridge.store.queries import DeadFilter, ReplayFilter, dead_entries, dead_letters, replay
from hisbridge.store.schema.outbox import outbox, record_keys
from hisbridge.store.times import to_store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ID_NO = "110101199003071234"


def _dead(engine: Engine, rows: list[tuple[str, str, str, str | None, int]]) -> None:
    with engine.begin() as conn:
        for n, (table, record, state, code, hours) in enumerate(rows, start=1):
            at = to_store(T0 + timedelta(hours=hours))
            conn.execute(outbox.insert().values(
                table_name=table, record_id=record, version=n, op="upsert", state=state,
                attempts=3, created_at=at, next_attempt_at=at, finished_at=at,
                last_error=f"errorCode {code} 身份证 {ID_NO} 不合法", error_code=code,
                last_reply=f'{{"idcard": "{ID_NO}"}}', replayed=False))
            conn.execute(record_keys.insert().values(table_name=table, record_id=record,
                                                     version=n, content_hash="0" * 32))


def test_console_cli_and_api_list_the_same_masked_dead_letters(store_engine: Engine) -> None:
    _dead(store_engine, [("emr_patient_info", "p1", "dead", "02", 0),
                         ("emr_patient_info", "p2", "dead", "04", 1),
                         ("emr_patient_info", "p3", "delivered", None, 2),
                         ("emr_outpatient_record", "o1", "dead", None, 3)])
    rows, total, codes = list_dead(store_engine, DeadFilter())
    assert rows == dead_entries(store_engine)
    assert [r.record_id for r in rows] == ["o1", "p2", "p1"] and total == 3
    assert codes == {"02": 1, "04": 1, "—": 1}
    assert all(ID_NO not in r.reason and ID_NO not in (r.reply or "") for r in rows)
    assert all("110***********1234" in r.reason for r in rows)


def test_filters_mean_the_same_for_listing_and_replay(store_engine: Engine) -> None:
    _dead(store_engine, [("emr_patient_info", "p1", "dead", "02", 0),
                         ("emr_patient_info", "p2", "dead", "04", 1),
                         ("emr_patient_info", "p4", "dead", "04", 5)])
    since, until = T0 + timedelta(minutes=30), T0 + timedelta(hours=2)
    f = DeadFilter("emr_patient_info", "04", since, until)
    rows, total, codes = list_dead(store_engine, f)
    assert [r.record_id for r in rows] == ["p2"] and (total, codes) == (1, {"04": 1})
    assert dead_letters(store_engine, f) == rows
    preview = replay(store_engine, ReplayFilter("emr_patient_info", "dead", since, until, "04"),
                     T0, dry_run=True)
    assert preview.matched == total
