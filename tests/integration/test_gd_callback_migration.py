"""Upgrading a store with consents and encounters to consent_0002_h17b keeps every row."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select

from hisbridge._clock import CHINA_TZ
from hisbridge.sharing.consent.callbacks import CallbackNotice
from hisbridge.sharing.consent.model import Channel, Consent, EncounterRef, EncounterType
from hisbridge.sharing.consent.repository import ConsentRepository, StoredEncounter
from hisbridge.store.migrate import alembic_config, applied, current_heads, pending, upgrade
from hisbridge.store.schema.consent import gd_consent, gd_encounter

pytestmark = pytest.mark.services
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture
def engine(unmigrated_engine: Engine) -> Engine:
    return unmigrated_engine


def _rows(engine: Engine) -> list[list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in (gd_consent, gd_encounter)]


def test_upgrade_keeps_consents_and_adds_the_callback_table(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "consent_0001")
    repo = ConsentRepository(engine, "440100001")
    for i, status in enumerate(("PENDING", "GRANTED", "REVOKED")):
        ref = EncounterRef(EncounterType.OUTPATIENT, f"MZ{i}")
        repo.upsert_encounter(StoredEncounter(ref, f"P{i}", "01", "x", "y", None, "OPEN"), NOW)
        repo.insert(Consent(f"C{i}", f"P{i}", "张*", EncounterType.OUTPATIENT, f"MZ{i}",
                            Channel.APP, status, NOW, auth_id=f"GDA{i}", updated_at=NOW))
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
