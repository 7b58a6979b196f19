"""Pushed records take the SQL path's steps (drug filter, standard drug code, code maps), and
the push API refuses query parameters it would otherwise ignore (``?op=delete``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from hisbridge import _json
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import outbox, records
from hisbridge.testing import sample_record
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices

TOKEN = "s3cret-push-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    return eng


@pytest.fixture
async def client(engine: Engine, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    write_example(tmp_path / "p", store_url=f"sqlite:///{tmp_path / 'store.db'}")
    project = open_project(tmp_path / "p" / "hisbridge.yaml")
    app = create_app(Settings(push={"token": TOKEN}), engine, services=AppServices(project=project))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as http:
        yield http
    engine.dispose()


def _stored(engine: Engine, table: str) -> dict[str, dict[str, Any]]:
    r = records.c
    with engine.connect() as conn:
        rows = conn.execute(select(r.record_id, r.payload).where(r.table_name == table))
        return {rid: _json.loads(payload) for rid, payload in rows}


def _item(record_id: str, drug: str) -> dict[str, Any]:
    item = sample_record("emr_order_item", record_id, parent_id="o1", drug_dosage_unit_code="mg")
    del item["drug_code"]
    return {**item, "drugCode": drug}  # any key style, as the API takes


async def test_a_pushed_order_item_is_filtered_and_coded_like_an_extracted_one(
        client: httpx.AsyncClient, engine: Engine) -> None:
    reply = await client.post("/api/v1/events/emr_order_item", headers=AUTH, json={
        "records": [_item("vc", "Y1010"), _item("amox", "Y0201")]})  # 维生素C片, 阿莫西林胶囊
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert body["accepted"] == 1 and body["rejected"] == []
    assert [(f["index"], f["id"]) for f in body["filtered"]] == [(0, "vc")]
    assert "不发送" in body["filtered"][0]["reason"]
    stored = _stored(engine, "emr_order_item")
    assert set(stored) == {"amox"}  # vitamin C never reaches the outbox
    assert stored["amox"]["drug_code"] == "044"  # the standard drug code, not Y0201
    assert stored["amox"]["drug_dosage_unit_code"] == "02"  # the code map, as in the SQL path


async def test_a_pushed_record_the_mapping_refuses_is_rejected_with_the_code(
        engine: Engine, tmp_path: Path) -> None:
    """With his.strict_codes, an unmapped hospital code is a per-record rejection naming the
    field and the code map the HIS (or the engineer) must fill, as for extracted rows."""
    write_example(tmp_path / "s", store_url=f"sqlite:///{tmp_path / 'store.db'}")
    project = open_project(tmp_path / "s" / "hisbridge.yaml",
                           Settings(his={"strict_codes": True,
                                         "mappings_dir": tmp_path / "s" / "mappings",
                                         "codemaps_dir": tmp_path / "s" / "codemaps",
                                         "drug_catalogue": tmp_path / "s" / "drug_catalogue.csv"}))
    app = create_app(Settings(push={"token": TOKEN}), engine, services=AppServices(project=project))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as http:
        item = {**_item("u1", "Y0201"), "drug_dosage_unit_code": "桶"}
        reply = await http.post("/api/v1/events/emr_order_item", headers=AUTH, json=item)
    body = reply.json()
    assert body["accepted"] == 0 and body["rejected"][0]["id"] == "u1"
    problem = body["rejected"][0]["violations"][0]
    assert problem["field"] == "drug_dosage_unit_code" and problem["rule"] == "code_map"
    assert "codemaps/drug_dosage_unit.csv" in str(problem)


@pytest.mark.parametrize(("query", "hint"), [
    ("op=delete", '"op": "delete"'), ("mode=strict", "no query parameters"),
    ("op=upsert&table=x", '"op": "delete"')])
async def test_query_parameters_are_refused_not_ignored(
        client: httpx.AsyncClient, engine: Engine, query: str, hint: str) -> None:
    reply = await client.post(f"/api/v1/events/emr_patient_info?{query}", headers=AUTH,
                              json={"id": "p1"})
    assert reply.status_code == 400
    body = reply.json()
    assert query.split("=")[0] in body["error"] and body["accepted_parameters"] == []
    assert hint in body["hint"]
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.id)).first() is None  # nothing upserted


async def test_the_delete_convention_still_works(client: httpx.AsyncClient,
                                                 engine: Engine) -> None:
    await client.post("/api/v1/events/emr_order_item", headers=AUTH, json=_item("d1", "Y0201"))
    reply = await client.post("/api/v1/events/emr_order_item", headers=AUTH,
                              json={"op": "delete", "records": [{"id": "d1"}]})
    assert reply.status_code == 202 and reply.json()["accepted"] == 1
    with engine.connect() as conn:
        ops = [r.op for r in conn.execute(select(outbox.c.op).order_by(outbox.c.id))]
    assert ops == ["upsert", "delete"]


async def test_a_pushed_record_of_a_protected_patient_is_kept_back_and_said_so(
        engine: Engine, tmp_path: Path) -> None:
    """Do-not-send rules hold on the push path too: the record is not stored, and the reply
    names it with the rule (never a silent drop)."""
    import yaml

    config = write_example(tmp_path / "q", store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
    values = yaml.safe_load(config.read_text("utf-8"))
    values["his"]["exclude"] = [{"name": "军人身份", "column": "patient_id", "values": ["P-MIL"]}]
    config.write_text(yaml.safe_dump(values, allow_unicode=True), "utf-8")
    app = create_app(Settings(push={"token": TOKEN}), engine,
                     services=AppServices(project=open_project(config)))
    kept = sample_record("emr_patient_info", "V1", patient_id="P-MIL")
    sent = sample_record("emr_patient_info", "V2", patient_id="P-OK")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as http:
        got = await http.post("/api/v1/events/emr_patient_info", headers=AUTH,
                              json={"records": [kept, sent]})
    assert got.status_code == 202, got.text
    reply = got.json()
    assert reply["accepted"] == 1
    assert [(e["index"], e["id"], e["rule"]) for e in reply["excluded"]] == [(0, "V1", "军人身份")]
    assert set(_stored(engine, "emr_patient_info")) == {"V2"}


async def test_a_pushed_diagnosis_code_left_out_or_generalised_is_said_and_counted(
        client: httpx.AsyncClient, engine: Engine) -> None:
    """An optional map (disease_code=infectious_disease_icd10?) leaving a pushed code out is
    never silent: the reply names it, and the console's data-quality counts have it."""
    from hisbridge.store.schema.sources import source_unmapped_codes

    left_out = sample_record("emr_activity_info", "a1", disease_code="I10.x00",
                             disease_name="高血压", wm_disease_code="I10.x00")
    broader = sample_record("emr_activity_info", "a2", disease_code="A15.000",
                            disease_name="肺结核", wm_disease_code="A15.000")
    reply = await client.post("/api/v1/events/emr_activity_info", headers=AUTH,
                              json={"records": [left_out, broader]})
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert body["accepted"] == 2
    assert [(d["index"], d["id"], d["field"], d["code"]) for d in body["codes_dropped"]] == [
        (0, "a1", "disease_code", "I10.x00")]
    assert body["codes_dropped"][0]["code_map"] == "codemaps/infectious_disease_icd10.csv"
    assert _stored(engine, "emr_activity_info")["a2"]["disease_code"] == "A15.0"
    t = source_unmapped_codes.c
    with engine.connect() as conn:
        counted = {(r.hospital_code, r.outcome, r.mapped_to) for r in conn.execute(
            select(t.hospital_code, t.outcome, t.mapped_to).where(t.source == "push"))}
    assert counted == {("I10.x00", "dropped", None), ("A15.000", "generalised", "A15.0")}
