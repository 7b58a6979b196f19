"""Cross-origin calls only from the HIS: the SSO API names back only an origin listed in
``web.workstation_origins``; any other origin gets no CORS header (its page cannot read the
answer), ``*`` is never sent and credentials are never allowed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.warnings.services import build_message_services
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices
from hisbridge.web.signing import signed_query

SECRET = "cors-test-secret"
HIS = "http://his.example:8080"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    settings = Settings(store={"url": f"sqlite:///{tmp_path / 'gw.db'}"},
                        web={"secret_key": SECRET, "workstation_origins": [HIS]})
    engine = make_engine(settings.store.url)
    upgrade(engine)
    messages = build_message_services(message_settings(settings), engine)
    yield create_app(settings, engine, services=AppServices(messages=messages))
    await messages.aclose()
    engine.dispose()


@pytest.mark.parametrize("path", ["/api/v1/sso/prepare", "/api/v1/sso/launch"])
@pytest.mark.parametrize("signed", [True, False])
async def test_only_listed_origins_are_named_back(app: FastAPI, path: str, signed: bool) -> None:
    query = signed_query({"userId": "D001"}, SECRET, now=time.time()) if signed else "userId=D001"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        for origin in ("http://evil.example", "null", HIS + ".evil.example", "http://his.example"):
            reply = await http.post(f"{path}?{query}", headers={"Origin": origin})
            assert "access-control-allow-origin" not in reply.headers, (origin, reply.headers)
            assert "access-control-allow-credentials" not in reply.headers
        listed = await http.post(f"{path}?{query}", headers={"Origin": HIS})
    assert listed.headers["access-control-allow-origin"] == HIS
    assert "access-control-allow-credentials" not in listed.headers
    assert "Origin" in listed.headers.get("vary", "")


def test_the_default_lists_no_origin() -> None:
    assert Settings().web.workstation_origins == []


def test_the_old_wildcard_setting_says_where_it_moved() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"web\.workstation_origins"):
        Settings(interaction={"widget": {"allowed_origins": ["*"]}})
