"""Bad input, fuzzed: the push API, the file intake, the simulator's data API, the callback.

Never a 500, never a crash: every hostile body gets a clear 4xx (or the protocol's own error
reply), with a JSON body that says what is wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fuzz_inputs import BIG, FUZZ, bodies, ten_megabyte_record
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from hisbridge.cli import _register
from hisbridge.cli import app as cli_app
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.sources.files import read_records
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import RecordingTarget
from hisbridge.testing.gdhealth_rig import build_rig
from hisbridge.web.app import create_app

TOKEN = "fuzz-token"


class Client:
    """A synchronous face over an in-process ASGI app (hypothesis drives sync tests)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                reply = await client.request(method, url, **kwargs)
                await reply.aread()
                return reply
        return asyncio.run(go())

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TABLES = st.sampled_from(["emr_patient_info", "emrExLab", "base_dept", "EMR_ORDER_ITEM",
                          "no_such_table", "..%2F..", "患者", "x" * 300])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    store = tmp_path_factory.mktemp("fuzz") / "store.db"
    engine = make_engine(f"sqlite:///{store}")
    upgrade(engine)
    app = create_app(Settings(push={"token": TOKEN}), engine)
    yield Client(app)
    engine.dispose()


def assert_clear(status: int, body: Any) -> None:
    assert status < 500, (status, body)
    if status >= 400:
        assert isinstance(body, dict) and (body.get("error") or body.get("detail")), body


@FUZZ
@given(table=TABLES, body=bodies)
def test_push_api_never_answers_500(gateway: Client, table: str, body: bytes) -> None:
    reply = gateway.post(f"/api/v1/events/{table}", content=body,
                         headers={**AUTH, "Content-Type": "application/json"})
    assert_clear(reply.status_code, reply.json())
    if reply.status_code == 202:
        for rejected in reply.json()["rejected"]:
            assert all(v["rule"] and v["hint_zh"] is not None for v in rejected["violations"])


@FUZZ
@given(header=st.one_of(st.text(max_size=60).filter(lambda s: s.isprintable()),
                        st.sampled_from(["Bearer", "Bearer ", f"bearer {TOKEN}x", "Basic Zm9v"])))
def test_push_api_bad_tokens_are_401(gateway: Client, header: str) -> None:
    reply = gateway.post("/api/v1/events/emr_patient_info", content=b"{}",
                         headers={"Authorization": header.encode("utf-8")})
    assert reply.status_code == 401 and "令牌" in reply.json()["error"]


def test_push_api_ten_megabytes_is_413(gateway: Client) -> None:
    reply = gateway.post("/api/v1/events/emr_patient_info", content=ten_megabyte_record(),
                         headers=AUTH)
    assert reply.status_code == 413 and "请求体过大" in reply.json()["error"]


@FUZZ
@given(body=bodies, path=st.sampled_from(["emrPatientInfo", "baseDept", "emrExLabItem",
                                          "nope", "emrPatientInfo/x"]),
       method=st.sampled_from(["POST", "DELETE", "PUT"]))
@example(body=ten_megabyte_record(), path="emrPatientInfo", method="POST")
def test_simulator_data_api_replies_with_the_protocol(body: bytes, path: str, method: str) -> None:
    app = create_frontend_app(FrontendSimConfig(mode="strict"))
    reply = Client(app).request(method, f"/hclient/emr/receive/{path}", content=body)
    app.state.sim.close()
    assert reply.status_code < 500, reply.text[:300]
    payload = reply.json()
    assert set(payload) >= {"result", "desc", "errorCode", "errorName"}, payload
    if payload["result"] is False:
        assert payload["errorCode"] in {"01", "02", "03", "04", "05", "99"} and payload["desc"]
    if len(body) >= BIG:
        assert payload["errorCode"] == "05"


@FUZZ
@given(body=bodies)
def test_simulator_fault_settings_refuse_bad_bodies(body: bytes) -> None:
    app = create_frontend_app(FrontendSimConfig())
    reply = Client(app).post("/sim/faults", content=body)
    app.state.sim.close()
    assert reply.status_code < 500, reply.text[:300]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    built = build_rig(f"sqlite:///{tmp_path_factory.mktemp('cb') / 'gw.db'}")
    yield Client(built.gateway_app)
    built.engine.dispose()


@FUZZ
@given(body=bodies, headers=st.dictionaries(
    st.sampled_from(["X-Signature", "X-Timestamp", "X-Nonce", "X-App-Id", "Content-Type"]),
    st.text(max_size=40).filter(str.isprintable), max_size=4))
def test_callback_receiver_refuses_garbage(rig: Client, body: bytes,
                                           headers: dict[str, str]) -> None:
    raw = {k: v.encode("utf-8") for k, v in headers.items()}
    reply = rig.post("/api/v1/consents/callback", content=body, headers=raw)
    assert reply.status_code in (400, 401, 403, 413, 422), (reply.status_code, reply.text[:300])


@pytest.fixture(scope="module")
def file_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeliveryService]:
    store = tmp_path_factory.mktemp("files") / "store.db"
    engine = make_engine(f"sqlite:///{store}")
    upgrade(engine)
    yield DeliveryService.from_settings(Settings(), engine, target=RecordingTarget())
    engine.dispose()


@FUZZ
@given(body=bodies, suffix=st.sampled_from([".jsonl", ".csv", ".txt"]),
       encoding=st.sampled_from([None, "gbk", "utf-8"]))
def test_file_intake_reports_unreadable_lines(tmp_path: Path, file_service: DeliveryService,
                                              body: bytes, suffix: str,
                                              encoding: str | None) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(body)
    try:
        _, rows = read_records(path, encoding)
        rows_list = list(rows)
    except Exception as exc:  # a refusal must be one of ours, with a message
        assert type(exc).__module__.startswith("hisbridge"), repr(exc)
        return
    good = [r.record for r in rows_list if r.record is not None]
    result = file_service.accept("emr_patient_info", good, source="fuzz")  # type: ignore[arg-type]
    assert result.accepted + result.unchanged + len(result.rejected) == len(good)
    assert all(r.error for r in rows_list if r.record is None)


@pytest.mark.parametrize("content", [
    b"\xff\xfe\x00garbage\n{\"id\": 1}\n",
    "{\"id\": \"p1\", \"name\": \"张三\"}\n".encode("gbk"),
    b"[" * 5000 + b"]" * 5000 + b"\n",
    ten_megabyte_record() + b"\n",
    b"id,name\n'; DROP TABLE outbox; --,x\n",
])
def test_sync_file_command_never_crashes(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "hb.yaml").write_text(f"store:\n  url: sqlite:///{tmp_path / 's.db'}\n", "utf-8")
    data = tmp_path / ("in.csv" if content.startswith(b"id,") else "in.jsonl")
    data.write_bytes(content)
    _register()
    result = CliRunner().invoke(cli_app, ["sync", "file", str(data), "--table",
                                          "emr_patient_info", "-c", str(tmp_path / "hb.yaml")])
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-800:], result.exception)
    assert "Traceback" not in result.output


@pytest.mark.services
def test_push_api_on_postgresql_keeps_nul_and_sql_looking_values(pg_url: str) -> None:
    from hisbridge.testing import sample_record

    engine = make_engine(pg_url)
    upgrade(engine)
    client = Client(create_app(Settings(push={"token": TOKEN}), engine))
    nasty = ["张\u0000三", "'; DROP TABLE outbox; --", "\ufeff\u202e", "𠀀" * 30]
    rows = [{**sample_record("emr_patient_info", f"n{i}", serial=i), "patient_name": value}
            for i, value in enumerate(nasty)]
    rows.append({"id": "bad\u0000key"})
    reply = client.post("/api/v1/events/emr_patient_info", json=rows, headers=AUTH)
    assert reply.status_code == 202, reply.text[:300]
    body = reply.json()
    assert body["accepted"] + len(body["rejected"]) == len(rows)
    assert body["rejected"][-1]["index"] == len(rows) - 1  # the NUL key: quarantined, reported
    engine.dispose()
