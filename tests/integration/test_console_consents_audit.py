"""The console over the authorizations and the audit log that the gdhealth concept keeps."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert, update

from hisbridge.audit.log import AuditLog
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.audit import audit_log
from hisbridge.store.schema.consent import gd_consent
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.web.app import create_app

NOW = datetime.now(UTC)


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(gd_consent).values(
            id="C1", auth_id="A1", his_patient_id="P-1", patient_masked="张*", encounter_type="OP",
            encounter_id="MZ-1", channel="SMS", status="GRANTED", open_key="k1", operator_id="nurse1",
            dept_code="D01", created_at=NOW, updated_at=NOW, granted_at=NOW,
            valid_to=NOW + timedelta(days=1)))
    log = AuditLog(engine, algorithm="sm3")
    for n in range(3):
        log.append("record.view", "doc1", actor_name="王医生", role="doctor", patient_masked="张*",
                   category="lab", doc_id=f"doc-{n}", client_addr="127.0.0.1")
    log.append("consent.request", "nurse1", patient_masked="张*", outcome="ok")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Engine]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    add_role_users(engine)
    _seed(engine)
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c.test") as c:
        yield c, engine
    engine.dispose()


async def test_consents_for_auditors_only(world: tuple[httpx.AsyncClient, Engine]) -> None:
    client, _ = world
    await login(client, "operator1")
    assert (await client.get("/console/consents")).status_code == 403
    await login(client, "auditor1")
    page = await client.get("/console/consents?status=GRANTED")
    assert page.status_code == 200 and "张*" in page.text and "SMS" in page.text
    assert "张*" not in (await client.get("/console/consents?status=DENIED")).text
    assert (await client.get("/console/consents?status=bogus")).status_code == 400


async def test_audit_log_filter_export_and_verify(world: tuple[httpx.AsyncClient, Engine]) -> None:
    client, engine = world
    await login(client, "operator1")
    assert (await client.get("/console/audit")).status_code == 403
    assert (await client.get("/console/audit.csv")).status_code == 403
    await login(client, "auditor1")
    views = await client.get("/console/audit?action=record.view")
    assert views.status_code == 200 and "doc-2" in views.text and "consent.request" not in views.text
    exported = await client.get("/console/audit.csv?actor=doc1")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][0] == "seq" and [r[9] for r in rows[1:]] == ["doc-0", "doc-1", "doc-2"]
    intact = await client.get("/console/audit?verify=1")
    assert 'data-testid="verify-ok"' in intact.text and "4" in intact.text
    with engine.begin() as conn:  # someone edits an entry behind the log's back
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(doc_id="doc-X"))
    broken = await client.get("/console/audit?verify=1")
    assert 'data-testid="verify-broken"' in broken.text and "seq=2" in broken.text
    actions = (await client.get("/console/actions?action=audit.verify")).text
    assert "auditor1" in actions
