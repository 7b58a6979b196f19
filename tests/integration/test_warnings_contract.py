"""One contract suite for the poller and keys, against the fake and the real simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from hisbridge._clock import ManualClock
from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import to_wire
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing.documents import valid_record
from hisbridge.testing.frontend_fake import FakeFrontendState, fake_frontend_app
from hisbridge.warnings.services import MessageServices, build_message_services

ORG = "440100001"


class Frontend(Protocol):
    """What the suite does to a front-end: raise a warning, forget keys, go down."""

    app: Any

    async def raise_warning(self, http: httpx.AsyncClient, n: int) -> None: ...

    def forget_keys(self) -> None: ...


class FakeFrontend:
    def __init__(self, clock: ManualClock) -> None:
        self.state = FakeFrontendState(clock=clock)
        self.app = fake_frontend_app(self.state)

    async def raise_warning(self, http: httpx.AsyncClient, n: int) -> None:
        self.state.add_message(userId="D001", orgCode=ORG)

    def forget_keys(self) -> None:
        self.state.keys.clear()


class SimulatedFrontend:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.app = create_frontend_app(FrontendSimConfig(report_delay_s=60), clock=clock)

    async def raise_warning(self, http: httpx.AsyncClient, n: int) -> None:
        """A notifiable diagnosis without a report card: 漏报 after the report delay."""
        spec = load_dictionary().table("emr_activity_info")
        record = valid_record(spec, id=f"V{n}", patient_id="P1", disease_code="A15.0",
                              operator_id="D001", org_code=ORG)
        reply = (await http.post(f"http://fe{spec.api_path}", json=to_wire(spec, record))).json()
        assert reply["result"] is True, reply
        self.clock.advance(61)
        assert self.app.state.sim.tick() == 1

    def forget_keys(self) -> None:
        self.app.state.sim.keys.reset()


@dataclass
class World:
    clock: ManualClock
    frontend: Frontend
    services: MessageServices
    http: httpx.AsyncClient

    async def warn(self, count: int = 1) -> None:
        for _ in range(count):
            self.n = getattr(self, "n", 0) + 1
            await self.frontend.raise_warning(self.http, self.n)


@pytest.fixture(params=["fake", "simulator"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    clock = ManualClock()
    frontend: Frontend = (FakeFrontend(clock) if request.param == "fake"
                          else SimulatedFrontend(clock))
    transport = httpx.ASGITransport(app=frontend.app)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(frontend={"license": "SIM-LICENSE-0001", "base_url": "http://fe",
                                  "org_code": ORG},
                        interaction={"poller": {"page_limit": 2}})
    services = build_message_services(message_settings(settings), engine, clock, transport=transport)
    async with httpx.AsyncClient(transport=transport) as http:
        yield World(clock, frontend, services, http)
    await services.aclose()
    engine.dispose()


async def test_key_renewed_on_day_seven(world: World) -> None:
    await world.warn()
    assert (await world.services.poller.step()).stored == 1
    assert world.services.keys.renewals == 1
    world.clock.advance(days=7)
    await world.warn()
    result = await world.services.poller.step()
    assert result.error is None and result.stored == 1
    assert world.services.keys.renewals == 2


async def test_key_renewed_on_error_code_02(world: World) -> None:
    await world.warn()
    await world.services.poller.step()
    world.frontend.forget_keys()
    await world.warn()
    result = await world.services.poller.step()
    assert result.error is None and result.stored == 1
    assert world.services.keys.renewals == 2


async def test_pages_in_order_and_nothing_twice(world: World) -> None:
    await world.warn(5)
    stored = []
    for _ in range(4):
        stored.append((await world.services.poller.step()).stored)
    assert stored == [2, 2, 1, 0]
    seqs = [m["seq"] for m in world.services.store.find(user_id="D001", dept_code=None)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5


async def test_a_page_fetched_but_not_stored_is_fetched_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.services.poller.step()
    await world.warn(2)
    real_save = world.services.store.save_page

    def store_down(*args: object) -> object:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(world.services.store, "save_page", store_down)
    failed = await world.services.poller.step()
    assert failed.error is not None and "存储" in failed.error
    monkeypatch.setattr(world.services.store, "save_page", real_save)
    result = await world.services.poller.step()
    assert result.error is None and result.stored == 2
