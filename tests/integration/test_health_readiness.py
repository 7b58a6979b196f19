"""``/healthz`` (liveness, no I/O) and ``/readyz`` (store, HIS, front-end, province, backlog).

The front-end and the province are real HTTP servers on loopback ports (``serve_app``), the
HIS a SQLite file; an unreachable part is a closed port. The body is checked for what it must
not carry: addresses, URLs, record ids, patient data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hisbridge._clock import ManualClock
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import RecordingTarget, sample_record
from hisbridge.testing.receiver import free_ports, serve_app
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices

MONITOR = "m" * 24
DETAIL = {"Authorization": f"Bearer {MONITOR}"}


def _answering(status: int) -> Starlette:
    async def anything(_: Request) -> PlainTextResponse:
        return PlainTextResponse("x", status)

    return Starlette(routes=[Route("/{path:path}", anything)])


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def frontend() -> Iterator[str]:
    with serve_app(_answering(404), lifespan="off") as url:  # any answer below 500 is reachable
        yield url


def _closed_url() -> str:
    return f"http://127.0.0.1:{free_ports(1)[0]}"


async def _get(app: Any, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as http:
        return await http.get(path, headers=headers)


async def test_healthz_does_no_io_so_a_dead_store_still_answers_200() -> None:
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        app = create_app(Settings(frontend={"base_url": _closed_url()}), dead)
        live = await _get(app, "/healthz")
        ready = await _get(app, "/readyz")
    finally:
        dead.dispose()
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert ready.json()["checks"]["store"] == "fail"


async def test_all_reachable_is_ready_and_names_every_check(engine: Engine, frontend: str,
                                                            tmp_path: Path) -> None:
    his = make_engine(f"sqlite:///{tmp_path / 'his.db'}")
    with serve_app(_answering(200), lifespan="off") as province:
        settings = Settings(frontend={"base_url": frontend}, gdhealth={"base_url": province})
        running = AppServices(poller=SimpleNamespace(source=his),  # type: ignore[arg-type]
                              consents=object())  # type: ignore[arg-type]  # sharing runs here
        app = create_app(settings, engine, services=running)
        reply = await _get(app, "/readyz")
    his.dispose()
    assert reply.status_code == 200
    assert reply.json() == {"status": "ready", "checks": {
        "store": "ok", "his": "ok", "frontend": "ok", "province": "ok", "backlog": "ok"}}
    assert reply.headers["cache-control"] == "no-store"


async def test_parts_not_run_here_are_off_and_do_not_fail(engine: Engine, frontend: str) -> None:
    reply = await _get(create_app(Settings(frontend={"base_url": frontend}), engine), "/readyz")
    assert reply.status_code == 200
    assert reply.json()["checks"] == {"store": "ok", "his": "off", "frontend": "ok",
                                      "province": "off", "backlog": "ok"}


async def test_unreachable_front_end_and_failing_province_are_503_terse_without_token(
        engine: Engine) -> None:
    closed = _closed_url()
    with serve_app(_answering(503), lifespan="off") as province:
        settings = Settings(frontend={"base_url": closed}, gdhealth={"base_url": province},
                            console={"metrics_token": MONITOR})
        app = create_app(settings, engine,
                         services=AppServices(consents=object()))  # type: ignore[arg-type]
        terse = await _get(app, "/readyz")
        detailed = await _get(app, "/readyz", DETAIL)
    assert terse.status_code == detailed.status_code == 503
    assert terse.json() == {"status": "not_ready", "checks": {
        "store": "ok", "his": "off", "frontend": "fail", "province": "fail", "backlog": "ok"}}
    assert "127.0.0.1" not in terse.text and "127.0.0.1" not in detailed.text
    assert detailed.json()["reasons"] == {"frontend": "ConnectError", "province": "HTTP 503"}


async def test_backlog_older_than_the_alert_bound_is_not_ready(engine: Engine,
                                                               frontend: str) -> None:
    clock = ManualClock()
    settings = Settings(frontend={"base_url": frontend}, console={
        "metrics_token": MONITOR, "alerts": {"pending_max_minutes": 30}})
    service = DeliveryService.from_settings(settings, engine, target=RecordingTarget(), clock=clock)
    record = sample_record("emr_patient_info", "p-secret-1", serial=1)
    service.accept("emr_patient_info", [record])  # never delivered: no worker runs
    app = create_app(settings, engine, clock=clock, services=AppServices(delivery=service))
    clock.advance(29 * 60)
    assert (await _get(app, "/readyz")).status_code == 200
    app.state.ready_checks.last = None  # past the cache
    clock.advance(2 * 60)
    reply = await _get(app, "/readyz", DETAIL)
    assert reply.status_code == 503
    assert reply.json()["checks"]["backlog"] == "fail"
    assert reply.json()["reasons"] == {"backlog": "oldest waiting 1860 s > 1800 s"}
    shown = [v for v in record.values() if isinstance(v, str) and len(v) >= 4 and v in reply.text]
    assert shown == []  # no id, name, ID number or phone of the waiting record
    await service.stop()


async def test_a_report_is_cached_so_probes_do_not_hammer_the_his(engine: Engine,
                                                                  frontend: str) -> None:
    app = create_app(Settings(frontend={"base_url": frontend}), engine)
    first = await _get(app, "/readyz")
    cached = app.state.ready_checks.last
    await _get(app, "/readyz")
    await _get(app, "/metrics")
    assert app.state.ready_checks.last is cached and first.status_code == 200


async def test_metrics_export_readiness_and_the_message_poller(engine: Engine) -> None:
    app = create_app(Settings(frontend={"base_url": _closed_url()}), engine)
    text = (await _get(app, "/metrics")).text
    assert "hisbridge_ready 0.0" in text
    assert 'hisbridge_ready_check{check="frontend"} 0.0' in text
    assert 'hisbridge_ready_check{check="store"} 1.0' in text
    assert 'check="his"' not in text  # off: absent, not failing
    # documented in docs/warnings-and-sso.md as served at /metrics; they were not
    assert "hisbridge_messages_last_ok_poll_timestamp_seconds" in text
    assert "# TYPE hisbridge_source_last_poll_timestamp_seconds gauge" in text
