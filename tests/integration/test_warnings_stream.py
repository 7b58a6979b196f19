"""The SSE stream on a real port: a message reaches an open stream within 2 s of being polled."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from hisbridge._json import loads
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import FakeFrontendState, fake_frontend_app, serve_app
from hisbridge.warnings.services import MessageServices, build_message_services
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices
from hisbridge.web.signing import signed_query


async def _next_event(
    lines: object, name: str, deadline: float
) -> tuple[dict[str, object], list[str]]:
    seen: list[str] = []
    event = ""
    async for line in lines:  # type: ignore[attr-defined]
        seen.append(line)
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == name:
            return loads(line[6:]), seen
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"no {name} event; saw {seen}")


@contextlib.contextmanager
def _gateway(tmp_path: Path, heartbeat_s: float
             ) -> Iterator[tuple[FakeFrontendState, MessageServices, str, str]]:
    """The fake front-end and a gateway on real ports: (state, services, gateway URL, query)."""
    state = FakeFrontendState()
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with serve_app(fake_frontend_app(state)) as frontend_url:
        settings = Settings(
            frontend={"license": "SIM-LICENSE-0001", "base_url": frontend_url},
            web={"secret_key": "s"},
            interaction={"poller": {"stream_check_s": 0.2, "heartbeat_s": heartbeat_s}})
        services = build_message_services(message_settings(settings), engine)
        with serve_app(create_app(settings, engine, services=AppServices(messages=services))) as gateway_url:
            yield state, services, gateway_url, signed_query({"userId": "D001"}, "s",
                                                             now=time.time())
    engine.dispose()


async def test_stream_delivers_new_message_within_two_seconds(tmp_path: Path) -> None:
    with _gateway(tmp_path, heartbeat_s=0.3) as (state, services, gateway_url, query):
        state.add_message(msgId="OLD")
        await services.poller.step()
        async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client, \
                client.stream("GET", f"/api/v1/warnings/stream?{query}") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            backlog, _ = await _next_event(lines, "message", time.monotonic() + 5)
            assert backlog["id"] == "OLD"
            state.add_message(msgId="NEW", title="病原学阳性：乙肝", type="病原学阳性提醒")
            assert (await services.poller.step()).stored == 1
            polled = time.monotonic()
            new, seen = await _next_event(lines, "message", polled + 5)
            assert time.monotonic() - polled < 2.0
            assert new["id"] == "NEW" and new["type"] == "病原学阳性提醒"
            status, seen = await _next_event(lines, "status", time.monotonic() + 5)
            assert status["delayed"] is False
            assert ": heartbeat" in seen
    await services.aclose()


async def test_stream_tells_the_widget_at_once_when_the_front_end_goes_and_comes_back(
    tmp_path: Path
) -> None:
    """The status reaches an open stream within 2 s of the poll that saw the change, not at
    the next heartbeat (here 60 s)."""
    with _gateway(tmp_path, heartbeat_s=60) as (state, services, gateway_url, query):
        await services.poller.step()
        async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as client, \
                client.stream("GET", f"/api/v1/warnings/stream?{query}") as response:
            lines = response.aiter_lines()
            first, _ = await _next_event(lines, "status", time.monotonic() + 5)
            assert first["delayed"] is False
            for down, kinds in ((True, ["outage"]), (False, [])):
                state.down = down
                await services.poller.step()
                deadline = time.monotonic() + 2
                status, _ = await _next_event(lines, "status", deadline)
                while status["delayed"] is not down:  # an earlier, unchanged status
                    status, _ = await _next_event(lines, "status", deadline)
                assert [n["kind"] for n in status["notices"]] == kinds
    await services.aclose()
