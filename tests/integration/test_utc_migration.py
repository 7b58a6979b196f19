"""Upgrading a store written by the China-time versions: every bookkeeping time becomes UTC.

Rows are written as the old code wrote them — Beijing wall time as SQLite text, the true
instant in PostgreSQL's timestamptz, HIS wall time as watermark text on both — next to queued
outbox work; after the upgrade every time reads back as the same instant, in UTC, and nothing
queued is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from hisbridge._clock import CHINA_TZ
from hisbridge.dictionary import Validator
from hisbridge.sources.watermarks import SourceState
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import alembic_config, pending, upgrade
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.schema.consent import gd_consent, gd_encounter
from hisbridge.store.schema.outbox import outbox, records
from hisbridge.store.schema.sources import source_rejects, source_runs, source_watermarks
from hisbridge.store.schema.warnings import warning_messages
from hisbridge.testing import ManualClock, sample_record

pytestmark = pytest.mark.services
BEFORE = ("outbox@head", "sources_0002", "consent_0001", "messages_0001", "audit@head",
          "console@head")
BEIJING_8AM = datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ)
UTC_MIDNIGHT = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)


@pytest.fixture
def engine(unmigrated_engine: Engine) -> Engine:
    """An empty store (SQLite, then PostgreSQL), migrated step by step by each test."""
    return unmigrated_engine


def _old_rows(engine: Engine) -> None:
    """What the China-time code left behind for 08:00 Beijing time (00:00 UTC)."""
    at = ("'2026-03-03 08:00:00.000000'" if engine.dialect.name == "sqlite"
          else "'2026-03-03 08:00:00+08:00'")
    statements = [
        "INSERT INTO source_watermarks (source, table_name, watermark, updated_at) "
        f"VALUES ('his', 'emr_ex_lab', '2026-03-03 07:59:30.000000', {at})",
        "INSERT INTO source_runs (source, table_name, started_at, finished_at, status, since, "
        "until, rows_read, accepted, unchanged, rejected, filtered, deleted, unmapped) VALUES "
        f"('his', 'emr_ex_lab', {at}, {at}, 'ok', '2026-03-03 07:50:00.000000', "
        "'2026-03-03 08:00:00.000000', 1, 1, 0, 0, 0, 0, 0)",
        "INSERT INTO source_rejects (source, table_name, record_id, stage, violations, "
        f"created_at) VALUES ('his', 'emr_ex_lab', 'L1', 'intake', '[]', {at})",
        "INSERT INTO gd_encounter (encounter_type, encounter_id, his_patient_id, id_no_enc, "
        f"name_enc, admitted_at, state, updated_at) VALUES ('INPATIENT', 'ZY1', 'P1', 'x', 'y', "
        f"{at}, 'OPEN', {at})",
        "INSERT INTO gd_consent (id, his_patient_id, patient_masked, encounter_type, "
        "encounter_id, channel, status, open_key, created_at, updated_at, valid_to) VALUES "
        f"('C1', 'P1', '张*', 'INPATIENT', 'ZY1', 'APP', 'GRANTED', 'k', {at}, {at}, {at})",
        "INSERT INTO messages (msg_id, seq, type, level, title, content, create_time, "
        f"polled_at, raw) VALUES ('M1', 1, 't', 'l', 'x', 'y', '2026-03-03 07:59:59', {at}, '{{}}')",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _queued(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for t in (outbox, records)
                for r in conn.execute(select(t).order_by(*t.primary_key.columns))]


def test_upgrade_turns_china_times_into_utc_and_keeps_queued_rows(engine: Engine) -> None:
    cfg = alembic_config(engine)
    for target in BEFORE:
        command.upgrade(cfg, target)
    clock = ManualClock(BEIJING_8AM)
    intake = StoreIntake(engine, Validator("lenient"), clock=clock)
    intake.accept("emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i)
                                       for i in range(10)])
    OutboxQueue(engine, clock=clock).claim("w", 3, 60.0)  # some in flight, the rest pending
    _old_rows(engine)
    queued = _queued(engine)
    assert pending(engine)
    upgrade(engine)
    assert not pending(engine)
    assert _queued(engine) == queued and len(queued) == 20
    with engine.connect() as conn:
        got = [conn.execute(select(col)).scalar_one() for col in (
            source_watermarks.c.updated_at, source_runs.c.started_at, source_runs.c.finished_at,
            source_rejects.c.created_at, gd_encounter.c.admitted_at, gd_encounter.c.updated_at,
            gd_consent.c.created_at, gd_consent.c.valid_to, warning_messages.c.polled_at)]
        window = conn.execute(select(source_runs.c.since, source_runs.c.until)).one()
        create_time = conn.execute(select(warning_messages.c.create_time)).scalar_one()
    assert got == [UTC_MIDNIGHT] * len(got) and all(g.tzinfo == UTC for g in got)
    assert tuple(window) == ("2026-03-02 23:50:00.000000", "2026-03-03 00:00:00.000000")
    assert create_time == "2026-03-03 07:59:59"  # the front-end's own text is left alone
    # the HIS (Asia/Shanghai) is asked from the same wall time as before the upgrade
    assert SourceState(engine, "his", CHINA_TZ).watermark("emr_ex_lab") == datetime(
        2026, 3, 3, 7, 59, 30)


def _raw(engine: Engine, messages: str = "messages") -> list[dict[str, object]]:
    """Each table's one row by column name (a downgrade may re-add a column at the end)."""
    with engine.connect() as conn:
        return [dict(conn.execute(text(f"SELECT * FROM {t}")).one()._mapping) for t in (
            "source_watermarks", "source_runs", "source_rejects", "gd_encounter", "gd_consent",
            messages)]


def test_downgrade_gives_back_the_china_time_rows(engine: Engine) -> None:
    cfg = alembic_config(engine)
    for target in BEFORE:
        command.upgrade(cfg, target)
    _old_rows(engine)
    before = _raw(engine)
    upgrade(engine)
    assert _raw(engine, "warning_messages") != before  # watermark text moves on both stores
    for target in ("sources_0002", "consent_0001", "messages_0001"):  # back to BEFORE
        command.downgrade(cfg, target)
    assert _raw(engine) == before
