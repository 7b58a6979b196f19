"""The gateway's message concern against the fake front-end, in process, for tests.

    async with message_world(engine, interaction={"poller": {"interval_s": 5}}) as world:
        world.state.add_message(userId="D002")
        await world.services.poller.step()
        await world.api.get(f"/api/v1/warnings?{world.query('D001', 'A03')}")
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

__all__ = ["MessageWorld", "message_world"]


@dataclass
class MessageWorld:
    """A manual clock, the fake front-end's state, the services and the gateway's API."""

    clock: ManualClock
    state: FakeFrontendState
    services: MessageServices
    api: httpx.AsyncClient
    delivered: MemoryDeliveredLookup
    secret: str

    def query(self, user: str = "D001", dept: str | None = None, **extra: object) -> str:
        """The signed identity of a workstation page, plus ``extra`` parameters."""
        signed = signed_query({"userId": user, "deptCode": dept}, self.secret,
                              now=self.clock.now().timestamp())
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
