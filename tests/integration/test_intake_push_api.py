"""HIS push over HTTP (in-process ASGI): accepted, rejected with reasons, clear 4xx otherwise."""

from __future__ import annotations

import asyncio
import functools
import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from hisbridge import _json
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import outbox, quarantine
from hisbridge.testing import sample_record
from hisbridge.web.app import create_app

TOKEN = "s3cret-push-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
async def client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(push={"token": TOKEN, "max_body_bytes": 64 * 1024})
    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        yield http


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


async def test_one_record_is_accepted(client: httpx.AsyncClient, engine: Engine) -> None:
    reply = await client.post("/api/v1/events/emr_patient_info", headers=AUTH,
                              json=sample_record("emr_patient_info", "p1"))
    assert reply.status_code == 202
    assert reply.json() == {"table": "emr_patient_info", "op": "upsert", "accepted": 1,
                            "unchanged": 0, "rejected": []}
    assert count(engine, outbox) == 1


async def test_a_batch_in_camel_case_with_one_bad_record(client: httpx.AsyncClient,
                                                         engine: Engine) -> None:
    good = {"id": "l1", "patientId": "p1", "applyOrgCode": "440100001"}
    good = {**sample_record("emr_ex_lab", "l1", parent_id="p1"), **good}
    bad = {"id": "l2", "patientId": "p1", "operationTime": "yesterday"}
    reply = await client.post("/api/v1/events/emrExLab", headers=AUTH,
                              json={"op": "upsert", "records": [good, bad]})
    assert reply.status_code == 202
    body = reply.json()
    assert body["accepted"] == 1 and body["table"] == "emr_ex_lab"
    [rejected] = body["rejected"]
    assert rejected["index"] == 1 and rejected["id"] == "l2"
    rules = {(v["field"], v["rule"]) for v in rejected["violations"]}
    assert ("operation_time", "datetime") in rules
    assert all(v["hint_zh"] for v in rejected["violations"])
    assert count(engine, quarantine) == 1


async def test_unchanged_records_and_deletes(client: httpx.AsyncClient) -> None:
    record = sample_record("emr_patient_info", "p1")
    await client.post("/api/v1/events/emr_patient_info", headers=AUTH, json=record)
    again = await client.post("/api/v1/events/emr_patient_info", headers=AUTH, json=[record])
    assert (again.json()["accepted"], again.json()["unchanged"]) == (0, 1)
    gone = await client.post("/api/v1/events/emr_patient_info", headers=AUTH,
                             json={"op": "delete", "records": [{"id": "p1"}]})
    assert gone.status_code == 202 and gone.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("path", "headers", "content", "status", "says"),
    [
        ("emr_patient_info", {}, b"{}", 401, "token"),
        ("emr_patient_info", {"Authorization": "Bearer nope"}, b"{}", 401, "token"),
        ("emr_patient_info", {"Authorization": f"Basic {TOKEN}"}, b"{}", 401, "token"),
        ("emr_nothing", AUTH, b"{}", 404, "unknown table"),
        ("emr_patient_info", AUTH, b"{not json", 400, "invalid JSON"),
        ("emr_patient_info", AUTH, b'"text"', 400, "object or array"),
        ("emr_patient_info", AUTH, b"[]", 400, "no records"),
        ("emr_patient_info", AUTH, b'{"op": "merge", "records": []}', 400, "invalid op"),
        ("emr_patient_info", AUTH, b'{"records": {"id": 1}}', 400, "must be an array"),
        ("emr_patient_info", AUTH, b"[" + b'"x",' * 40000 + b'"x"]', 413, "larger than"),
        ("base_dept", AUTH, b'{"op": "delete", "records": [{"dept_code": "D01"}]}', 400,
         "deletes are refused"),
    ],
)
async def test_bad_requests_get_a_clear_4xx(client: httpx.AsyncClient, engine: Engine,
                                            path: str, headers: dict[str, str], content: bytes,
                                            status: int, says: str) -> None:
    reply = await client.post(f"/api/v1/events/{path}", headers=headers, content=content)
    assert reply.status_code == status
    assert says in _json.dumps_str(reply.json())
    assert count(engine, outbox) == 0


async def test_non_objects_in_a_batch_are_rejected_not_dropped(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/v1/events/emr_patient_info", headers=AUTH,
                              json={"records": [17, sample_record("emr_patient_info", "p9")]})
    body = reply.json()
    assert body["accepted"] == 1
    assert body["rejected"][0]["violations"][0]["rule"] == "not_an_object"


async def test_the_token_may_come_from_the_environment(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HISBRIDGE_PUSH_TOKEN", "from-env")
    app = create_app(Settings(), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as http:
        ok = await http.post("/api/v1/events/base_user", json=sample_record("base_user", "u1"),
                             headers={"Authorization": "Bearer from-env"})
        assert ok.status_code == 202


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=6),
    max_leaves=20)


@functools.cache
def shared_app() -> Any:
    engine = make_engine(f"sqlite:///{tempfile.mkdtemp(prefix='hb-push-')}/store.db")
    upgrade(engine)
    return create_app(Settings(push={"token": TOKEN}), engine)


async def post(table: str, content: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=shared_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        return await http.post(f"/api/v1/events/{table}", headers=AUTH, content=content)


@settings(max_examples=60, deadline=None)
@given(body=json_values, table=st.sampled_from(["emr_patient_info", "baseDept", "emr_order"]))
def test_any_json_body_gets_202_or_a_clear_4xx(body: object, table: str) -> None:
    reply = asyncio.run(post(table, json.dumps(body).encode()))
    assert reply.status_code in (202, 400), reply.text
    if reply.status_code == 202:
        payload = reply.json()
        sent = body if isinstance(body, list) else (
            body.get("records") if isinstance(body, dict) and "records" in body else [body])
        assert isinstance(sent, list)
        assert payload["accepted"] + payload["unchanged"] + len(payload["rejected"]) == len(sent)


async def test_a_store_that_is_down_answers_503_with_retry_after(
        caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL restarting (nothing listens on the store's port): the push is not taken and
    the HIS is told to send it again — 503 + Retry-After, a clear message, no traceback."""
    import socket
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/test",
                         connect_args={"connect_timeout": 2})
    app = create_app(Settings(push={"token": TOKEN}), engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        reply = await http.post("/api/v1/events/emr_patient_info", headers=AUTH,
                                json=sample_record("emr_patient_info", "p1"))
    engine.dispose()
    assert reply.status_code == 503
    assert reply.headers["Retry-After"].isdigit()
    assert "存储暂不可用" in reply.json()["error"]
    assert not [r for r in caplog.records if r.exc_info], "a store outage is not a crash"
    assert any(r.getMessage() == "store unavailable" for r in caplog.records)
