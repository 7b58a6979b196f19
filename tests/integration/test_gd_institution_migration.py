"""Upgrading to consent_0003_h21s keeps every consent and encounter; stored rows carry no
institution (NULL) and stay the original single hospital's."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Column, Engine, Table, select

from hisbridge._clock import CHINA_TZ
from hisbridge.sharing.consent.model import EncounterType
from hisbridge.sharing.consent.repository import ConsentRepository
from hisbridge.store.migrate import alembic_config, pending, upgrade
from hisbridge.store.schema.consent import gd_consent, gd_encounter

pytestmark = pytest.mark.services
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
BEFORE = "consent_0002_htime"


@pytest.fixture
def engine(unmigrated_engine: Engine) -> Engine:
    return unmigrated_engine


def _old(table: Table) -> list[Column[object]]:
    return [c for c in table.columns if c.name != "org_code"]


def _rows(engine: Engine) -> list[list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(select(*_old(t)).order_by(*t.primary_key.columns))]
                for t in (gd_consent, gd_encounter)]


def _write_old_rows(engine: Engine) -> None:
    """Two encounters and their consents (one open) as the code before hospital groups wrote them."""
    with engine.begin() as conn:
        for i, status in enumerate(("GRANTED", "REVOKED")):
            conn.execute(gd_encounter.insert().values(
                encounter_type="OUTPATIENT", encounter_id=f"MZ{i}", his_patient_id=f"P{i}",
                id_no_enc="x", name_enc="y", dept_code="0301", updated_at=NOW))
            open_key = f"440100001|P{i}|OUTPATIENT|MZ{i}" if status == "GRANTED" else None
            conn.execute(gd_consent.insert().values(
                id=f"C{i}", auth_id=f"GDA{i}", his_patient_id=f"P{i}", patient_masked="张*",
                encounter_type="OUTPATIENT", encounter_id=f"MZ{i}", channel="APP", status=status,
                open_key=open_key, created_at=NOW, updated_at=NOW))


def test_upgrade_keeps_rows_and_leaves_them_to_the_single_hospital(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), BEFORE)
    _write_old_rows(engine)
    before = _rows(engine)
    upgrade(engine)
    assert not pending(engine)
    assert _rows(engine) == before and len(before[0]) == 2
    with engine.connect() as conn:
        marks = conn.execute(select(gd_consent.c.org_code).union_all(select(gd_encounter.c.org_code)))
        assert {m for (m,) in marks} == {None}
    hospital = ConsentRepository(engine, "440100001")  # the original institution owns them
    assert [c.id for c in hospital.open_consents()] == ["C0"]
    assert hospital.encounter("OUTPATIENT", "MZ1") is not None
    found = hospital.latest_for("P0", [(EncounterType.OUTPATIENT.value, "MZ0")])
    assert found is not None and found.org_code is None
    township = ConsentRepository(engine, "T01", owns_unmarked=False)  # a new member sees none
    assert township.open_consents() == [] and township.encounter("OUTPATIENT", "MZ1") is None
    assert township.by_auth_id("GDA0") is None and not township.owns(found.org_code)


def test_downgrade_keeps_rows(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), BEFORE)
    _write_old_rows(engine)
    before = _rows(engine)
    upgrade(engine)
    command.downgrade(alembic_config(engine), BEFORE)
    assert _rows(engine) == before
