"""``hisbridge.testing.serve_app``: the one uvicorn-in-a-thread helper."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from hisbridge.testing import free_ports, serve_app


def test_serves_on_the_port_asked_for_and_runs_on_stop_in_the_servers_loop() -> None:
    loops: dict[str, asyncio.AbstractEventLoop] = {}

    async def hello(_: Request) -> PlainTextResponse:
        loops["served"] = asyncio.get_running_loop()
        return PlainTextResponse("hello")

    async def on_stop() -> None:
        loops["stopped"] = asyncio.get_running_loop()

    (port,) = free_ports(1)
    app = Starlette(routes=[Route("/", hello)])
    with serve_app(app, port=port, lifespan="off", on_stop=on_stop) as url:
        assert url == f"http://127.0.0.1:{port}"
        assert httpx.get(url, timeout=5).text == "hello"
        assert "stopped" not in loops
    assert loops["stopped"] is loops["served"]  # client pools opened there close there
