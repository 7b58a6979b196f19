"""Every route of the gateway, walked without a session: 302 to the login page or 401.

The documented open routes (docs/console.md, "Who may reach what"): ``/healthz``, ``/readyz``;
``/metrics`` unless ``console.metrics_token`` is set; the login page and ``/console/static``;
the signed workstation pages ``/ws/...``; the HIS push intake ``/api/v1/events/...`` (its own
push token). ``/api/v1/warnings`` and ``/api/v1/sso`` pass the gate only with a ``sig``
parameter and verify it themselves. An old route name (``web.redirects``) is judged as its new
one: the old name of a signed route is redirected, the old name of a guarded one refused.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing.routes import walk_routes
from hisbridge.web.app import create_app
from hisbridge.web.redirects import new_path

OPEN_PREFIXES = ("/healthz", "/readyz", "/console/login", "/console/static", "/ws", "/api/v1/events",
                 "/metrics", "/api/v1/consents/callback")


def _app(tmp_path: Path, **console: object) -> FastAPI:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    return create_app(load_settings(console=console, push={"token": "push-token-1"}), engine)


async def test_every_route_needs_a_session(tmp_path: Path) -> None:
    app = _app(tmp_path)
    routes = walk_routes(app.routes)
    assert len(routes) > 10
    checked = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g.test") as client:
        for method, path in routes:
            if path.startswith(OPEN_PREFIXES):
                continue
            reply = await client.request(method, path)
            checked += 1
            renamed = new_path(path) or ""
            if renamed.startswith("/api/v1/warnings"):
                assert reply.status_code == 308, (method, path)  # old name: to the signed route
            elif path.startswith(("/api/v1/warnings", "/api/v1/sso")):  # signed: the module refuses
                assert reply.status_code in (401, 403), (method, path, reply.status_code)
            elif path == "/" or path.startswith("/console"):
                assert reply.status_code in (302, 303), (method, path, reply.status_code)
                assert reply.headers["location"].startswith("/console/login?next="), path
            else:
                assert reply.status_code == 401, (method, path, reply.status_code)
                assert reply.json()["code"] == "UNAUTHORIZED"
    assert checked >= 10


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/api/v1/outbox/status",
                                  "/api/v1/consents",
                                  "/api/v1/shared/x/index", "/nothing/here"])
async def test_api_and_unknown_paths_are_401(tmp_path: Path, path: str) -> None:
    app = _app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g.test") as client:
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers={"Authorization": "Bearer guess"})).status_code == 401


async def test_open_routes_and_tokens(tmp_path: Path) -> None:
    app = _app(tmp_path, api_token="api-token-1", metrics_token="metrics-token-1")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g.test") as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code in (200, 503)  # open: never 401
        assert (await client.get("/console/login")).status_code == 200
        assert (await client.get("/console/static/console.css")).status_code == 200
        assert (await client.get("/metrics")).status_code == 401
        metrics = {"Authorization": "Bearer metrics-token-1"}
        api = {"Authorization": "Bearer api-token-1"}
        assert (await client.get("/metrics", headers=metrics)).status_code != 401
        assert (await client.get("/openapi.json", headers=api)).status_code == 200
        assert (await client.get("/console/", headers=api)).status_code == 302  # pages want a session
        push = {"Authorization": "Bearer push-token-1"}
        assert (await client.get("/api/v1/consents/x", headers=push)).status_code != 401
        assert (await client.get("/openapi.json", headers=push)).status_code == 401


async def test_odd_login_redirects_stay_local(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g.test") as client:
        reply = await client.get("/console/login?next=//evil.example/x")
        assert 'name="next" value="/console/"' in reply.text


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/consents/x"), ("POST", "/api/v1/consents"), ("POST", "/api/v1/encounters"),
    ("POST", "/api/v1/bookings"), ("GET", "/api/v1/shared/timeline"),
    ("GET", "/api/v1/records/x/index"), ("GET", "/api/v1/outbox/stats")])
async def test_without_a_push_token_the_hospital_api_refuses_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, path: str) -> None:
    """No push token configured is a misconfiguration, not an open door: these APIs hand out
    and change patients' authorizations and records."""
    monkeypatch.delenv("HISBRIDGE_PUSH_TOKEN", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    app = create_app(load_settings(), engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g.test") as client:
        reply = await client.request(method, path, json={})
        assert reply.status_code == 401, (path, reply.status_code, reply.text[:200])
        assert (await client.get("/openapi.json")).status_code == 401
