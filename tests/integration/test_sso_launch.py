"""SSO for C/S workstations (``hisbridge sso launch``, ``POST /api/v1/sso/launch``) against
the simulator's doctor-PC client."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.connectors.frontend.sso import OutboxDeliveredLookup
from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import to_wire
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.simulators.frontend import ClientSimConfig, create_frontend_app
from hisbridge.simulators.frontend.client import create_client_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import RecordingTarget, serve_app
from hisbridge.testing.documents import valid_record
from hisbridge.warnings.services import build_message_services, launch_sso
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices
from hisbridge.web.signing import signed_query


def _delivered_store(url: str, users: list[str]) -> None:
    """A store whose delivery service delivered ``users`` (base_user) to a recording target;
    ``QUEUED`` is accepted but not delivered; ``LEFT`` was delivered, then deleted."""

    async def deliver() -> None:
        service = DeliveryService.from_settings(Settings(), engine, target=RecordingTarget())
        for user in [*users, "LEFT"]:
            service.accept("base_user", [valid_record("base_user", id=user)], source="test")
        service.accept("base_user", [{"id": "LEFT"}], op="delete", source="test")
        assert await service.run_until_idle(timeout=10)
        await service.stop()
        service.accept("base_user", [valid_record("base_user", id="QUEUED")], source="test")

    engine = make_engine(url)
    upgrade(engine)
    asyncio.run(deliver())
    engine.dispose()


@pytest.fixture
def client_url() -> Iterator[str]:
    """The simulator's doctor-PC client, with a simulator where only D001 was delivered."""
    with serve_app(create_frontend_app()) as frontend:
        spec = load_dictionary().table("base_user")
        doctor = valid_record(spec, id="D001", user_name="张医生", dept_code="A03")
        assert httpx.post(frontend + spec.api_path, json=to_wire(spec, doctor)).json()["result"]
        port = _free_port()
        client = create_client_app(ClientSimConfig(
            frontend_url=frontend, public_url=f"http://127.0.0.1:{port}"))
        with serve_app(client, port=port) as url:
            yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _delivered_store(url, ["D001", "D002"])
    return url


def _cli() -> typer.Typer:
    if not any(group.name == "sso" for group in app.registered_groups):
        _register()
    return app


def _env(store_url: str, client_url: str) -> dict[str, str]:
    return {"HISBRIDGE_STORE__URL": store_url, "HISBRIDGE_FRONTEND__LICENSE": "SIM-LICENSE-0001",
            "HISBRIDGE_INTERACTION__CLIENT__BASE_URL": client_url}


@pytest.mark.parametrize(
    ("user", "exit_code", "expected"),
    [
        ("D001", 0, "/client/session/"),
        ("D002", 1, "用户未同步"),  # delivered, but the client does not know the user
        ("QUEUED", 1, "base_user 未同步"),  # queued, not yet delivered
        ("NOBODY", 1, "base_user 未同步"),
    ],
)
def test_cli_launch(store_url: str, client_url: str, user: str, exit_code: int,
                    expected: str) -> None:
    result = CliRunner().invoke(_cli(), ["sso", "launch", "--user", user, "--no-open"],
                                env=_env(store_url, client_url))
    assert result.exit_code == exit_code, result.output
    assert expected in result.output


def test_cli_launch_says_when_the_client_is_not_running(store_url: str) -> None:
    result = CliRunner().invoke(_cli(), ["sso", "launch", "--user", "D001", "--no-open"],
                                env=_env(store_url, "http://127.0.0.1:9"))
    assert result.exit_code == 1 and "未检测到本机的前置软件客户端" in result.output


def test_outbox_lookup(store_url: str) -> None:
    lookup = OutboxDeliveredLookup(make_engine(store_url))
    assert lookup.is_delivered("base_user", "D001")
    assert not lookup.is_delivered("base_user", "QUEUED")
    assert not lookup.is_delivered("base_user", "NOBODY")
    assert not lookup.is_delivered("base_user", "LEFT")  # its delivered version is a delete


async def test_http_launch_calls_the_client_on_the_callers_pc(store_url: str,
                                                               client_url: str) -> None:
    port = int(client_url.rsplit(":", 1)[1])
    settings = Settings(store={"url": store_url}, frontend={"license": "SIM-LICENSE-0001"},
                        web={"secret_key": "s"},
                        # the configured host is wrong on purpose: the caller's host is used
                        interaction={"client": {"base_url": f"http://10.255.255.1:{port}"}})
    engine = make_engine(store_url)
    services = build_message_services(message_settings(settings), engine)
    with serve_app(create_app(settings, engine, services=AppServices(messages=services))) as gateway:
        async with httpx.AsyncClient(base_url=gateway) as http:
            query = signed_query({"userId": "D001"}, "s", now=time.time())
            reply = (await http.post(f"/api/v1/sso/launch?{query}")).json()
            unsigned = await http.post("/api/v1/sso/launch?userId=D001")
    assert reply["result"] is True and "/client/session/" in reply["url"]
    assert unsigned.status_code == 403 and "签名" in unsigned.json()["desc"]
    await services.aclose()
    engine.dispose()


async def test_licence_and_key_never_reach_the_logs(
    store_url: str, client_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(store={"url": store_url}, frontend={"license": "SIM-LICENSE-0001"},
                        interaction={"client": {"base_url": client_url}})
    engine = make_engine(store_url)
    with caplog.at_level("DEBUG"):
        outcome = await launch_sso(message_settings(settings), engine, "D001")
    engine.dispose()
    assert outcome.ok
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/client/sso" in logged and "secretKey=***" in logged
    assert "SIM-LICENSE-0001" not in logged and "license=***" in logged


def test_cli_launch_for_a_warning_opens_its_patients_visit(store_url: str,
                                                           client_url: str) -> None:
    from sqlalchemy import insert

    from hisbridge._clock import system_clock
    from hisbridge.store.schema.warnings import warning_messages

    engine = make_engine(store_url)
    with engine.begin() as conn:
        conn.execute(insert(warning_messages).values(
            msg_id="W1", seq=1, type="missed_report", level="高", title="疑似漏报", content="…",
            patient_id="P001", serial_number="MZ-1", user_id="D001", dept_code="A03",
            polled_at=system_clock.now(), raw='{"cardId": "C9"}'))
    engine.dispose()
    env = {**_env(store_url, client_url), "HISBRIDGE_INTERACTION__CLIENT__DEEP_LINK_TEMPLATE":
           "{session_url}/report-card?patientId={patient_id}&visitId={visit_id}&cardId={card_id}"}
    result = CliRunner().invoke(_cli(), ["sso", "launch", "--user", "D001", "--msg", "W1",
                                         "--no-open"], env=env)
    assert result.exit_code == 0, result.output
    url = result.output.strip().replace("\n", "")
    assert url.endswith("/report-card?patientId=P001&visitId=MZ-1&cardId=C9")
    page = httpx.get(url).text
    assert "患者 P001 · 就诊号 MZ-1" in page and "报告卡 C9" in page
    other = CliRunner().invoke(_cli(), ["sso", "launch", "--user", "D002", "--msg", "W1",
                                        "--no-open"], env=env)
    assert other.exit_code == 1 and "没有这条预警" in other.output
