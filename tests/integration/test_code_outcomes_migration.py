"""Upgrading a store with counted codes to ``sources_0003_h15a`` keeps every count, as
``unmapped`` (the migration only adds columns to ``source_unmapped_codes``; queued work is in
other tables it does not touch)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, select

from hisbridge.sources.watermarks import SourceState
from hisbridge.store.migrate import alembic_config, applied, upgrade
from hisbridge.store.schema.sources import source_unmapped_codes

pytestmark = pytest.mark.services
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_counted_codes_survive_and_become_unmapped(unmigrated_engine: Engine) -> None:
    engine = unmigrated_engine
    cfg = alembic_config(engine)
    for target in ("sources_0002", "outbox@head", "audit@head", "consent@head", "console@head",
                   "messages@head"):
        command.upgrade(cfg, target)
    t = source_unmapped_codes
    old = [{"source": "his", "table_name": "emr_patient_info", "column_name": "gender_code",
            "hospital_code": f"X{i}", "code_set": "gender", "count": i + 1,
            "first_seen": NOW, "last_seen": NOW} for i in range(5)]
    with engine.begin() as conn:  # rows as sources_0002 wrote them (no outcome column)
        for row in old:
            conn.exec_driver_sql(
                "INSERT INTO source_unmapped_codes (source, table_name, column_name,"
                " hospital_code, code_set, count, first_seen, last_seen) VALUES"
                + (" (?, ?, ?, ?, ?, ?, ?, ?)" if engine.dialect.name == "sqlite"
                   else " (%s, %s, %s, %s, %s, %s, %s, %s)"), tuple(row.values()))
    upgrade(engine)
    assert "sources_0003_h15a" in applied(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.hospital_code, t.c["count"], t.c.outcome, t.c.mapped_to)
                            .order_by(t.c.hospital_code)).all()
    assert [tuple(r) for r in rows] == [(f"X{i}", i + 1, "unmapped", None) for i in range(5)]
    state = SourceState(engine, "his")
    state.add_codes("emr_activity_info", "generalised",
                    Counter({("disease_code", "infectious_disease_icd10", "A15.000", "A15.0"): 3}),
                    NOW)
    found = {r["hospital_code"]: r for r in state.unmapped()}
    assert (found["A15.000"]["outcome"], found["A15.000"]["mapped_to"]) == ("generalised", "A15.0")
