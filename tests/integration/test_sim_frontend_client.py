"""The doctor-PC client simulator: secret key, SSO for synced users only, CORS for the HIS
page, the session page; and both simulators started by their CLI commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hisbridge._clock import ManualClock
from hisbridge.simulators.frontend import ClientSimConfig, FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.client import create_client_app

LICENSE = "LIC-CLIENT"
ORIGIN = "http://his.hospital.example"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    clock = ManualClock()
    server = create_frontend_app(FrontendSimConfig(licenses=(LICENSE,)), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server),
                                 base_url="http://frontend") as to_server:
        await to_server.post("/hclient/emr/receive/baseDept",
                             json={"deptCode": "0101", "deptName": "感染科门诊"})
        await to_server.post("/hclient/emr/receive/baseUser",
                             json={"id": "doc-1", "userName": "李医生", "deptCode": "0101"})
        app = create_client_app(ClientSimConfig(public_url="http://127.0.0.1:18881"),
                                clock=clock, transport=httpx.ASGITransport(app=server))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://127.0.0.1:18881") as local:
            yield local
        await app.state.client.http.aclose()
    server.sim.close()


async def _key(client: httpx.AsyncClient) -> str:
    reply: dict[str, Any] = (await client.get("/client/secretKey",
                                              params={"license": LICENSE})).json()
    assert reply["result"] is True
    return str(reply["secretKey"])


async def test_sso_for_a_synced_user_opens_a_session_page(client: httpx.AsyncClient) -> None:
    key = await _key(client)
    reply = (await client.get("/client/sso", params={"secretKey": key, "userId": "doc-1"})).json()
    assert reply["result"] is True
    assert reply["user"]["userName"] == "李医生" and reply["user"]["deptName"] == "感染科门诊"
    page = await client.get(httpx.URL(reply["url"]).path)
    assert page.status_code == 200
    assert "已登录：李医生，感染科门诊" in page.text
    assert "logged in as 李医生, 感染科门诊" in page.text


async def test_sso_for_an_unknown_user_says_not_synced(client: httpx.AsyncClient) -> None:
    key = await _key(client)
    reply = (await client.get("/client/sso", params={"secretKey": key, "userId": "nobody"})).json()
    assert reply["result"] is False and reply["desc"] == "用户未同步"


async def test_sso_with_a_bad_key_is_an_authorisation_error(client: httpx.AsyncClient) -> None:
    reply = (await client.get("/client/sso", params={"secretKey": "x", "userId": "doc-1"})).json()
    assert reply["result"] is False and reply["errorCode"] == "02"


async def test_bad_licence_and_missing_parameters(client: httpx.AsyncClient) -> None:
    bad = (await client.get("/client/secretKey", params={"license": "nope"})).json()
    assert bad["result"] is False and bad["errorCode"] == "02"
    missing = (await client.get("/client/sso")).json()
    assert missing["result"] is False and missing["errorCode"] == "03"
    gone = await client.get("/client/session/not-a-token")
    assert gone.status_code == 404


async def test_cors_preflight_and_reply_headers(client: httpx.AsyncClient) -> None:
    preflight = await client.options("/client/sso", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Private-Network": "true"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-private-network"] == "true"
    reply = await client.get("/client/secretKey", params={"license": LICENSE},
                             headers={"Origin": ORIGIN})
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    assert reply.headers["vary"] == "Origin"


async def test_server_unreachable_is_a_clear_reply() -> None:
    app = create_client_app(ClientSimConfig(frontend_url="http://127.0.0.1:9", timeout_s=1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://local") as local:
        reply = (await local.get("/client/secretKey", params={"license": LICENSE})).json()
    await app.state.client.http.aclose()
    assert reply["result"] is False and reply["errorCode"] == "99"
    assert "无法连接前置软件服务端" in reply["desc"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def test_both_commands_start_and_talk(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    fe_port, cl_port = _free_port(), _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hisbridge", "simulate", "frontend", "--port", str(fe_port),
         "--store", f"sqlite:///{tmp_path}/sim.sqlite", "--license", LICENSE],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = subprocess.Popen(
        [sys.executable, "-m", "hisbridge", "simulate", "client", "--port", str(cl_port),
         "--frontend", f"http://127.0.0.1:{fe_port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(f"http://127.0.0.1:{fe_port}/sim/tables")
        _wait(f"http://127.0.0.1:{cl_port}/client/session/x")
        base = f"http://127.0.0.1:{fe_port}"
        httpx.post(f"{base}/hclient/emr/receive/baseUser", json={"id": "d1", "userName": "王医生"})
        key = httpx.get(f"http://127.0.0.1:{cl_port}/client/secretKey",
                        params={"license": LICENSE}).json()["secretKey"]
        reply = httpx.get(f"http://127.0.0.1:{cl_port}/client/sso",
                          params={"secretKey": key, "userId": "d1"}).json()
        assert reply["result"] is True
        assert reply["url"].startswith(f"http://127.0.0.1:{cl_port}/client/session/")
        assert "王医生" in httpx.get(reply["url"]).text
    finally:
        for proc in (server, local):
            proc.terminate()
            proc.wait(timeout=10)
