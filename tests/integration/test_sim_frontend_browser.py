"""A HIS page on another origin calls the doctor-PC client from a real browser (Chromium):
the CORS headers and the preflight must be what a browser needs, and the SSO page must open."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from hisbridge.simulators.frontend import ClientSimConfig, FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.client import create_client_app

pytestmark = pytest.mark.browser

LICENSE = "LIC-BROWSER"

HIS_PAGE = """<!doctype html><html><body><p id="status">…</p><script>
async function login(userId) {
  const opts = {headers: {"X-Requested-With": "his"}};   // not simple: forces a preflight
  const key = await (await fetch(CLIENT + "/client/secretKey?license=" + LICENSE, opts)).json();
  const sso = await (await fetch(CLIENT + "/client/sso?secretKey=" + key.secretKey +
                                 "&userId=" + userId, opts)).json();
  return sso;
}
</script></body></html>"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    return server


@pytest.fixture
async def urls() -> AsyncIterator[dict[str, str]]:
    fe, cl, his = _free_port(), _free_port(), _free_port()
    client_url = f"http://127.0.0.1:{cl}"
    page = HIS_PAGE.replace("<script>", f'<script>const CLIENT="{client_url}";'
                                       f'const LICENSE="{LICENSE}";')
    his_app = Starlette(routes=[Route("/", lambda _r: HTMLResponse(page))])
    servers = [
        await _serve(create_frontend_app(FrontendSimConfig(licenses=(LICENSE,))), fe),
        await _serve(create_client_app(ClientSimConfig(
            frontend_url=f"http://127.0.0.1:{fe}", public_url=client_url)), cl),
        await _serve(his_app, his),
    ]
    async with httpx.AsyncClient() as http:
        await http.post(f"http://127.0.0.1:{fe}/hclient/emr/receive/baseUser",
                        json={"id": "doc-7", "userName": "陈医生", "deptCode": "A03"})
    yield {"his": f"http://localhost:{his}/", "client": client_url}
    for server in servers:
        server.should_exit = True
    await asyncio.sleep(0.2)


async def test_his_page_logs_a_doctor_in_across_origins(urls: dict[str, str]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        try:
            page = await browser.new_page()
            await page.goto(urls["his"])
            unknown = await page.evaluate("login('nobody')")
            assert unknown["result"] is False and unknown["desc"] == "用户未同步"
            sso = await page.evaluate("login('doc-7')")
            assert sso["result"] is True
            await page.goto(sso["url"])
            assert "已登录：陈医生，内科" in await page.inner_text("#who")
        finally:
            await browser.close()
