"""A HIS page on another origin calls the doctor-PC client from a real browser (Chromium):
the CORS headers and the preflight must be what a browser needs, and the SSO page must open."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from hisbridge.simulators.frontend import ClientSimConfig, FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.client import create_client_app
from hisbridge.testing import free_ports, serve_app

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


@pytest.fixture
async def urls() -> AsyncIterator[dict[str, str]]:
    fe, cl, his = free_ports(3)
    client_url = f"http://127.0.0.1:{cl}"
    page = HIS_PAGE.replace("<script>", f'<script>const CLIENT="{client_url}";'
                                       f'const LICENSE="{LICENSE}";')
    his_app = Starlette(routes=[Route("/", lambda _r: HTMLResponse(page))])
    with (
        serve_app(create_frontend_app(FrontendSimConfig(licenses=(LICENSE,))), port=fe),
        serve_app(create_client_app(ClientSimConfig(
            frontend_url=f"http://127.0.0.1:{fe}", public_url=client_url)), port=cl),
        serve_app(his_app, port=his),
    ):
        async with httpx.AsyncClient() as http:
            await http.post(f"http://127.0.0.1:{fe}/hclient/emr/receive/baseUser",
                            json={"id": "doc-7", "userName": "陈医生", "deptCode": "A03"})
        yield {"his": f"http://localhost:{his}/", "client": client_url}


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
