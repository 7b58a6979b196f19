"""Pages that show patient data are uncached, keep their URL out of ``Referer`` and can be
framed only by the gateway itself or the listed HIS workstation origins; every route of the
gateway is walked, signed and unsigned."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from hisbridge.runtime.gateway import message_settings
from hisbridge.runtime.sharing import build_gdhealth_services, viewer_url
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import secret_settings
from hisbridge.testing.routes import walk_routes
from hisbridge.warnings.services import build_message_services
from hisbridge.web.app import create_app
from hisbridge.web.page_headers import STATIC_PREFIXES
from hisbridge.web.services import AppServices
from hisbridge.web.widgets import widget_url

SECRET = "page-headers-test-secret"
HIS = "http://his.example:8080"


async def _app(tmp_path: Path, **web: Any) -> AsyncIterator[FastAPI]:
    settings = secret_settings(store={"url": f"sqlite:///{tmp_path / 'gw.db'}"},
                               push={"token": "push-token-1"}, web={"secret_key": SECRET, **web})
    engine = make_engine(settings.store.url)
    upgrade(engine)
    messages = build_message_services(message_settings(settings), engine)
    gd = build_gdhealth_services(settings, engine)
    yield create_app(settings, engine, services=gd.for_app(AppServices(messages=messages)))
    await messages.aclose()
    await gd.aclose()
    engine.dispose()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    async for built in _app(tmp_path):
        yield built


def _assert_protected(reply: httpx.Response, ancestors: str | None = None,
                      frame: str | None = "") -> None:
    """The headers; by default a /ws page may be framed by the gateway only, others by nobody."""
    workstation = reply.request.url.path.startswith("/ws/")
    ancestors = ancestors or ("'self'" if workstation else "'none'")
    frame = frame if frame != "" else ("SAMEORIGIN" if workstation else "DENY")
    where = f"{reply.request.method} {reply.request.url.path} -> {reply.status_code}"
    h = reply.headers
    assert h.get("cache-control") == "no-store", where
    assert h.get("referrer-policy") == "no-referrer", where
    assert h.get("x-content-type-options") == "nosniff", where
    csp = h.get("content-security-policy", "")
    assert f"frame-ancestors {ancestors}" in csp and "script-src 'self'" in csp, where
    assert "unsafe-inline" not in csp, where
    assert h.get("x-frame-options") == frame, where


def _signed(app: FastAPI) -> dict[str, str]:
    """A signed URL for each patient page (viewer, widget) and the SSO API."""
    settings: Settings = app.state.settings
    viewer = viewer_url(settings, "", patient_id="P1", encounter_type="OUTPATIENT",
                        encounter_id="MZ1", user_id="D001", dept_code="A03",
                        now=app.state.clock.now())
    widget = widget_url(settings, "D001", "A03", now=time.time(), base_url="")
    query = widget.split("?", 1)[1]
    return {"viewer": viewer, "widget": widget, "sso": f"/api/v1/sso/prepare?{query}",
            "messages": f"/api/v1/warnings?{query}",
            "timeline": viewer.replace("/ws/shared?", "/ws/shared/api/timeline?")}


async def test_every_route_signed_or_not_carries_the_headers(app: FastAPI) -> None:
    routes = walk_routes(app.routes)
    assert any(p.startswith("/ws/shared") for _, p in routes) and ("GET", "/ws/warnings") in routes
    checked = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        for method, path in routes:
            if path.startswith(STATIC_PREFIXES) or path.endswith("/stream"):
                continue
            _assert_protected(await http.request(method, path))
            checked += 1
        for name, url in _signed(app).items():
            reply = await (http.post(url) if name == "sso" else http.get(url))
            expected = 403 if name == "timeline" else 200  # a fragment refused: no grant yet
            assert reply.status_code == expected, (name, reply.status_code, reply.text[:200])
            _assert_protected(reply)
    assert checked > 30


async def test_the_listed_his_origin_may_frame_the_pages(tmp_path: Path) -> None:
    async for app in _app(tmp_path, workstation_origins=[HIS]):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            reply = await http.get(_signed(app)["widget"])
        _assert_protected(reply, ancestors=f"'self' {HIS}", frame=f"ALLOW-FROM {HIS}")
        assert "strict-transport-security" not in reply.headers


async def test_several_origins_and_tls_behind_a_proxy(tmp_path: Path) -> None:
    async for app in _app(tmp_path, workstation_origins=[HIS, "https://his2.example"],
                          behind_tls_proxy=True):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            reply = await http.get(_signed(app)["viewer"])
            static = await http.get("/ws/static/warnings.js")
        _assert_protected(reply, ancestors=f"'self' {HIS} https://his2.example", frame=None)
        assert reply.headers["strict-transport-security"].startswith("max-age=")
        assert static.headers["strict-transport-security"].startswith("max-age=")
        assert static.headers.get("cache-control") != "no-store"  # assets may be cached
