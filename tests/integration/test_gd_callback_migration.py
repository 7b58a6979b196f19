"""Upgrading a store with consents and encounters to consent_0002_h17b keeps every row."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Column, Engine, Table, inspect, select

from hisbridge._clock import CHINA_TZ
from hisbridge.sharing.consent.callbacks import CallbackNotice
from hisbridge.sharing.consent.repository import ConsentRepository
from hisbridge.store.migrate import alembic_config, applied, current_heads, pending, upgrade
from hisbridge.store.schema.consent import gd_consent, gd_encounter

pytestmark = pytest.mark.services
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture
def engine(unmigrated_engine: Engine) -> Engine:
    return unmigrated_engine


def _old(table: Table) -> list[Column[object]]:
    return [c for c in table.columns if c.name != "org_code"]  # org_code came with consent_0003


def _rows(engine: Engine) -> list[list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(select(*_old(t)).order_by(*t.primary_key.columns))]
                for t in (gd_consent, gd_encounter)]


def _write_old_rows(engine: Engine) -> None:
    """Consents and encounters as the code of consent_0001 wrote them (no org_code)."""
    with engine.begin() as conn:
        for i, status in enumerate(("PENDING", "GRANTED", "REVOKED")):
            conn.execute(gd_encounter.insert().values(
                encounter_type="OUTPATIENT", encounter_id=f"MZ{i}", his_patient_id=f"P{i}",
                id_no_enc="x", name_enc="y", updated_at=NOW))
            conn.execute(gd_consent.insert().values(
                id=f"C{i}", auth_id=f"GDA{i}", his_patient_id=f"P{i}", patient_masked="张*",
                encounter_type="OUTPATIENT", encounter_id=f"MZ{i}", channel="APP", status=status,
                created_at=NOW, updated_at=NOW))


def test_upgrade_keeps_consents_and_adds_the_callback_table(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "consent_0001")
    repo = ConsentRepository(engine, "440100001")
    _write_old_rows(engine)
    before = _rows(engine)
    assert "consent_0001" in current_heads(engine) and pending(engine)
    # This revision only (the next one, consent_0002_htime, moves China-time rows to UTC and
    # is tested in test_utc_migration.py with rows written as the old code wrote them).
    command.upgrade(alembic_config(engine), "consent_0002_h17b")
    assert "consent_0002_h17b" in applied(engine)
    assert _rows(engine) == before and len(before[0]) == 3
    upgrade(engine)
    assert not pending(engine)
    assert "gd_callback" in inspect(engine).get_table_names()
    notice = CallbackNotice("GDA1", "GRANTED", NOW.isoformat())
    assert [repo.claim_callback(notice, NOW) for _ in range(3)] == [0, 1, 2]
