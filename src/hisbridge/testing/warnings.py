"""The gateway's message concern against the fake front-end, in process, for tests.

    async with message_world(engine, interaction={"poller": {"interval_s": 5}}) as world:
        world.state.add_message(userId="D002")
        await world.services.poller.step()
        await world.api.get(f"/api/v1/warnings?{world.query('D001', 'A03')}")

``group_world`` is the same for a hospital group: one fake front-end per institution (reached
at ``http://fe-<org>``, licence ``LIC-<org>``) and links that name their ``orgCode``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine

from hisbridge._clock import ManualClock
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.testing.frontend_fake import FakeFrontendState, fake_frontend_app
from hisbridge.testing.memory import MemoryDeliveredLookup
from hisbridge.warnings.services import MessageServices, build_message_services
from hisbridge.web.services import AppServices
from hisbridge.web.signing import signed_query

__all__ = ["GroupWorld", "HostRouter", "MessageWorld", "group_settings", "group_world",
           "message_world"]


@dataclass
class MessageWorld:
    """A manual clock, the fake front-end's state, the services and the gateway's API."""

    clock: ManualClock
    state: FakeFrontendState
    services: MessageServices
    api: httpx.AsyncClient
    delivered: MemoryDeliveredLookup
    secret: str

    def query(self, user: str = "D001", dept: str | None = None, *, org: str | None = None,
              **extra: object) -> str:
        """The signed identity of a workstation page (``org``: its signed ``orgCode``), plus
        ``extra`` parameters."""
        return _signed(self.secret, self.clock, {"userId": user, "deptCode": dept, "orgCode": org},
                       extra)


def _signed(secret: str, clock: ManualClock, identity: dict[str, str | None],
            extra: dict[str, object]) -> str:
    signed = signed_query(identity, secret, now=clock.now().timestamp())
    return signed + ("&" + urlencode(extra) if extra else "")


@contextlib.asynccontextmanager
async def message_world(engine: Engine, *, secret: str = "test-web-secret",
                        delivered: tuple[str, ...] = ("D001",),
                        interaction: dict[str, Any] | None = None) -> AsyncIterator[MessageWorld]:
    """Services and app on a migrated ``engine``; ``delivered`` doctors are in base_user."""
    from hisbridge.web.app import create_app

    clock = ManualClock()
    state = FakeFrontendState(clock=clock, users={"D001": ("张医生", "感染科")})
    settings = Settings(frontend={"license": state.license, "base_url": "http://fe"},
                        web={"secret_key": secret}, interaction=interaction or {})
    lookup = MemoryDeliveredLookup({("base_user", user) for user in delivered})
    services = build_message_services(
        message_settings(settings), engine, clock,
        transport=httpx.ASGITransport(app=fake_frontend_app(state)), delivered=lookup)
    app = create_app(settings, engine, clock=clock, services=AppServices(messages=services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as api:
        yield MessageWorld(clock, state, services, api, lookup, secret)
    await services.aclose()


class HostRouter(httpx.AsyncBaseTransport):
    """Requests to in-process ASGI apps by host name (one fake front-end per institution)."""

    def __init__(self, apps: dict[str, Any]) -> None:
        self._transports = {host: httpx.ASGITransport(app=app) for host, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transports[request.url.host].handle_async_request(request)


@dataclass
class GroupWorld:
    """A manual clock, each institution's fake front-end state, the services and the API."""

    clock: ManualClock
    states: dict[str, FakeFrontendState]
    services: MessageServices
    api: httpx.AsyncClient
    secret: str

    def add(self, org: str, **fields: Any) -> dict[str, Any]:
        """A message at institution ``org``'s front-end; its id is unique across the group."""
        state = self.states[org]
        return state.add_message(msgId=f"{org}-{len(state.messages) + 1}", orgCode=org, **fields)

    def query(self, user: str = "D001", dept: str | None = None, org: str | None = None,
              **extra: object) -> str:
        """The signed identity of a workstation page at institution ``org``, plus ``extra``."""
        return _signed(self.secret, self.clock, {"userId": user, "deptCode": dept, "orgCode": org},
                       extra)


def group_settings(urls: dict[str, str], *, secret: str = "test-web-secret",
                   interaction: dict[str, Any] | None = None) -> Settings:
    """A hospital group's settings: institution ``org`` reads its front-end at ``urls[org]``
    with licence ``LIC-<org>``."""
    listed = [{"org_code": org, "name": f"机构{org}",
               "frontend": {"base_url": url, "license": f"LIC-{org}"}} for org, url in urls.items()]
    return Settings(frontend={"base_url": "http://county-fe"}, web={"secret_key": secret},
                    interaction=interaction or {}, institutions=listed)


@contextlib.asynccontextmanager
async def group_world(engine: Engine, orgs: tuple[str, ...] = ("H01", "T01"), *,
                      secret: str = "test-web-secret", delivered: tuple[str, ...] = ("D001",),
                      interaction: dict[str, Any] | None = None) -> AsyncIterator[GroupWorld]:
    """Services and app of a hospital group on a migrated ``engine``."""
    from hisbridge.web.app import create_app

    clock = ManualClock()
    states = {org: FakeFrontendState(license=f"LIC-{org}", clock=clock,
                                     users={"D001": ("张医生", "感染科")}) for org in orgs}
    hosts = {f"fe-{org.lower()}": fake_frontend_app(state) for org, state in states.items()}
    settings = group_settings({org: f"http://fe-{org.lower()}" for org in orgs}, secret=secret,
                              interaction=interaction)
    lookup = MemoryDeliveredLookup({("base_user", user) for user in delivered})
    services = build_message_services(message_settings(settings), engine, clock,
                                      transport=HostRouter(hosts), delivered=lookup)
    app = create_app(settings, engine, clock=clock, services=AppServices(messages=services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as api:
        yield GroupWorld(clock, states, services, api, secret)
    await services.aclose()
