"""The console over the HIS extraction's tables: source health, mapping rejects, unmapped codes."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert

from hisbridge import _json
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.sources import source_rejects, source_runs, source_unmapped_codes
from hisbridge.testing.console import FAST_ARGON2, add_role_users, login
from hisbridge.web.app import create_app

NOW = datetime.now(UTC)


def _seed(engine: Engine) -> None:
    run = {"table_name": "emr_patient_info", "since": None, "until": None, "rows_read": 5, "accepted": 5,
           "unchanged": 0, "rejected": 0, "filtered": 0, "deleted": 0, "unmapped": 0, "error": None}
    codes = [("gender", "性别-男", 7, "emr_patient_info", "gender_code"),
             ("gender", "F", 2, "emr_patient_info", "gender_code"),
             ("department", "内一科", 4, "emr_outpatient_record", "dept_code")]
    violation = {"table": "emr_patient_info", "field": "gender_code", "label_zh": "性别代码",
                 "rule": "code_map", "severity": "error", "value": "性别-男",
                 "hint_zh": "在 codemaps/gender.csv 加一行", "hint_en": "add a line"}
    with engine.begin() as conn:
        conn.execute(insert(source_runs), [
            {**run, "source": "his", "started_at": NOW - timedelta(minutes=9), "finished_at": NOW,
             "status": "ok"},
            {**run, "source": "his", "started_at": NOW - timedelta(minutes=1), "finished_at": NOW,
             "status": "failed", "error": "connection refused 13812345678"},
            {**run, "source": "lis", "started_at": NOW, "finished_at": NOW, "status": "ok"}])
        conn.execute(insert(source_unmapped_codes), [
            {"source": "his", "code_set": cs, "hospital_code": code, "count": n, "table_name": t,
             "column_name": c, "first_seen": NOW, "last_seen": NOW} for cs, code, n, t, c in codes])
        conn.execute(insert(source_rejects), [
            {"source": "his", "table_name": "emr_patient_info", "record_id": "P-9", "stage": stage,
             "violations": _json.dumps_str([violation]), "created_at": NOW}
            for stage in ("mapping", "intake")])


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    add_role_users(engine)
    _seed(engine)
    app = create_app(load_settings(console={"argon2": FAST_ARGON2}), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c.test") as c:
        yield c
    engine.dispose()


async def test_source_health_on_the_dashboard(client: httpx.AsyncClient) -> None:
    await login(client, "operator1")
    page = (await client.get("/console/")).text
    assert "his" in page and "failed" in page and "lis" in page
    assert "13812345678" not in page and "138****5678" in page  # errors are scrubbed


async def test_unmapped_codes_and_mapping_rejects(client: httpx.AsyncClient) -> None:
    await login(client, "operator1")
    page = (await client.get("/console/quality")).text
    assert "code_map" in page and "性别-男" in page and "内一科" in page
    assert "(1 条隔离记录)" in page  # the intake-stage reject is in the quarantine, not counted twice
    overview = await client.get("/console/quality/unmapped.csv")
    rows = list(csv.reader(io.StringIO(overview.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["code_set", "hospital_code", "count"] and len(rows) == 4
    assert rows[1][:3] == ["department", "内一科", "4"]
    gender = await client.get("/console/quality/unmapped.csv?code_set=gender")
    assert gender.headers["content-disposition"].endswith('filename="gender.csv"')
    lines = list(csv.reader(io.StringIO(gender.text.lstrip("\ufeff"))))
    assert lines == [["hospital_code", "standard_code", "standard_label"], ["性别-男", "", ""], ["F", "", ""]]
    await login(client, "auditor1")
    assert (await client.get("/console/quality/unmapped.csv")).status_code == 403


async def test_dropped_and_generalised_codes_on_the_quality_page(
        client: httpx.AsyncClient, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as conn:
        conn.execute(insert(source_unmapped_codes), [
            {"source": "his", "code_set": "infectious_disease_icd10", "hospital_code": code,
             "count": n, "table_name": "emr_activity_info", "column_name": "disease_code",
             "first_seen": NOW, "last_seen": NOW, "outcome": outcome, "mapped_to": to}
            for code, n, outcome, to in (("I10.x00", 7, "dropped", None),
                                         ("A15.000", 3, "generalised", "A15.0"))])
    engine.dispose()
    await login(client, "operator1")
    page = (await client.get("/console/quality")).text
    assert 'data-outcome="dropped">可选映射已丢弃，未发送' in page and "I10.x00" in page
    assert "codemaps/infectious_disease_icd10.csv" in page
    assert 'data-outcome="generalised">已泛化为上级代码 → <code>A15.0</code>' in page
    export = await client.get("/console/quality/unmapped.csv?code_set=infectious_disease_icd10")
    assert export.text.lstrip("\ufeff").splitlines()[1:] == ["I10.x00,,"]  # to fill in
