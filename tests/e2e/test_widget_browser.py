"""The workstation widget in a real headless Chromium: live warnings, pop-up, read, SSO."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from hisbridge.connectors.frontend.sso import HttpDeliveredLookup
from hisbridge.messages.fakes import FakeFrontendState, fake_frontend_app, serving
from hisbridge.messages.services import MessageServices, build_message_services
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.web.app import create_app
from hisbridge.web.widgets import widget_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = dict(executable_path="/usr/bin/chromium", headless=True,
                args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])


@dataclass
class Stack:
    state: FakeFrontendState
    services: MessageServices
    settings: Settings
    gateway_url: str

    def widget(self, user: str = "D001", dept: str | None = "A03") -> str:
        return widget_url(self.settings, user, dept, now=time.time(), base_url=self.gateway_url)


@contextlib.contextmanager
def _stack(tmp_path: Path) -> Iterator[Stack]:
    state = FakeFrontendState(users={"D001": ("张医生", "感染科"), "D002": ("李医生", "内科")})
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with serving(fake_frontend_app(state)) as frontend, serving(fake_frontend_app(state)) as client:
        settings = Settings(
            frontend={"license": "SIM-LICENSE-0001", "base_url": frontend},
            web={"secret_key": "e2e-secret"},
            interaction={"poller": {"interval_s": 0.2, "stream_check_s": 0.2},
                         "client": {"base_url": client}})
        services = build_message_services(settings, engine,
                                          delivered=HttpDeliveredLookup(frontend))
        app = create_app(settings, engine, messages=services)
        with serving(app) as gateway:
            yield Stack(state, services, settings, gateway)
    engine.dispose()


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    with _stack(tmp_path) as built:
        async with built.services.running():
            yield built


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(**CHROMIUM)  # type: ignore[arg-type]
        yield chromium
        await chromium.close()


async def _open(browser: Browser, url: str) -> Page:
    page = await browser.new_page()
    await page.goto(url)
    return page


async def test_new_warning_pops_up_and_sso_opens_the_client_session(
    stack: Stack, browser: Browser
) -> None:
    page = await _open(browser, stack.widget())
    await page.wait_for_selector("#hb-empty", state="visible")
    started = time.monotonic()
    stack.state.add_message(level="high", title="疑似漏报：肺结核", userId="D001")
    await page.wait_for_selector("#hb-popup", state="visible", timeout=10_000)
    assert time.monotonic() - started < 10
    assert "疑似漏报：肺结核" in await page.inner_text("#hb-popup-title")
    assert "疑似漏报：肺结核" in await page.inner_text("#hb-list")
    async with page.context.expect_page() as opened:
        await page.click("#hb-popup-go")
    session = await opened.value
    await session.wait_for_selector("text=张医生", timeout=10_000)
    assert "感染科" in await session.inner_text("body")


async def test_mark_read_and_department_messages(stack: Stack, browser: Browser) -> None:
    stack.state.add_message(level="medium", userId="D009", deptCode="A03", title="病原学阳性：乙肝")
    stack.state.add_message(level="medium", userId="D009", deptCode="B01", title="别的科室")
    page = await _open(browser, stack.widget())
    await page.wait_for_selector("text=病原学阳性：乙肝", timeout=10_000)
    assert "别的科室" not in await page.inner_text("#hb-list")
    assert await page.is_hidden("#hb-popup")  # medium level: no pop-up
    await page.click(".hb-mark-read")
    await page.wait_for_selector(".hb-item.hb-read", timeout=5_000)
    again = await _open(browser, stack.widget())
    await again.wait_for_selector(".hb-item.hb-read", timeout=5_000)


async def test_user_not_in_base_user_gets_a_clear_message(stack: Stack, browser: Browser) -> None:
    stack.state.add_message(level="medium", userId="D404", deptCode="X01")
    page = await _open(browser, stack.widget(user="D404", dept=None))
    notice = await page.inner_text("#hb-notice")
    assert "尚未同步到前置软件" in notice
    await page.wait_for_selector(".hb-item", timeout=10_000)
    async with page.context.expect_page():
        await page.click(".hb-item .hb-btn-go")
    await page.wait_for_selector("#hb-error", state="visible", timeout=5_000)
    assert "base_user" in await page.inner_text("#hb-error")


async def test_tampered_link_shows_403_page_in_chinese(stack: Stack, browser: Browser) -> None:
    stack.state.add_message(level="high", userId="D001")
    url = stack.widget().replace("userId=D001", "userId=D002")
    page = await browser.new_page()
    response = await page.goto(url)
    assert response is not None and response.status == 403
    body = await page.inner_text("body")
    assert "无法打开预警提醒页面" in body and "疑似漏报" not in body


async def test_front_end_down_says_warnings_may_be_delayed(stack: Stack, browser: Browser) -> None:
    page = await _open(browser, stack.widget())
    stack.state.down = True
    stack.services.settings.interaction.widget.stale_after_s = 0.5
    stack.services.settings.interaction.poller.heartbeat_s = 0.5
    await page.wait_for_selector("text=预警消息可能延迟", timeout=10_000)
    stack.state.down = False
    stack.state.add_message(level="medium", userId="D001", title="恢复后补齐")
    await page.wait_for_selector("text=恢复后补齐", timeout=15_000)


async def test_old_browser_without_eventsource_falls_back_to_polling(
    stack: Stack, browser: Browser
) -> None:
    context = await browser.new_context()
    await context.add_init_script("window.EventSource = undefined;")
    page = await context.new_page()
    await page.goto(stack.widget())
    await page.wait_for_selector("text=定时刷新", timeout=5_000)
    stack.state.add_message(level="high", userId="D001", title="轮询也能收到")
    await page.wait_for_selector("#hb-popup", state="visible", timeout=15_000)
    assert "轮询也能收到" in await page.inner_text("#hb-list")
    await context.close()
