"""The workstation widget end to end: HIS, delivery, front-end simulator, doctor-PC client, Chromium.

Chain: a notifiable diagnosis (emr_activity_info) enters the gateway -> the delivery worker
sends it (with the doctor's base_user and the patient) to the simulator's data API -> the
simulator's warning engine raises 传染病漏报提醒 -> the gateway's poller stores it -> the widget
shows it live and pops it up -> "去处理" checks in the outbox that the doctor's base_user row was
delivered and signs the doctor on at the simulated client, whose session page names the doctor.
Most tests hand records to the intake port (where every source hands them over); one starts
from a diagnosis saved in the synthetic HIS database and polled with the worked-example mapping.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import Engine, select

from hisbridge.project.example import write_example
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.extraction import open_project
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.simulators.frontend import ClientSimConfig, FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.client import create_client_app
from hisbridge.simulators.his import LiveActivity, build_day, his_metadata
from hisbridge.simulators.his.vocab import INFECTIOUS_DIAGNOSES
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import serve_app
from hisbridge.testing.documents import valid_record
from hisbridge.warnings.services import MessageServices, build_message_services
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices
from hisbridge.web.widgets import widget_url

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
CHROMIUM: dict[str, Any] = dict(
    executable_path="/usr/bin/chromium", headless=True,
    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
ORG = "440100001"


@dataclass
class Chain:
    frontend_url: str
    settings: Settings
    services: MessageServices
    delivery: DeliveryService
    gateway_url: str
    engine: Engine

    async def deliver(self, table: str, record: dict[str, Any]) -> None:
        """Accept one record at the intake port and let the delivery worker send it."""
        result = self.delivery.accept(table, [record], source="his")
        assert result.accepted == 1, result
        self.delivery.wake()
        assert await self.delivery.run_until_idle(timeout=10)

    async def faults(self, settings: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=self.frontend_url) as http:
            (await http.post("/sim/faults", json=settings)).raise_for_status()

    def widget(self, user: str = "D001", dept: str | None = "A03") -> str:
        return widget_url(self.settings, user, dept, now=time.time(), base_url=self.gateway_url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _chain(tmp_path: Path) -> Iterator[Chain]:
    simulator = create_frontend_app(FrontendSimConfig(report_delay_s=1.0, tick_s=0.2))
    client_port = _free_port()
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    with serve_app(simulator) as frontend:
        client_app = create_client_app(ClientSimConfig(
            frontend_url=frontend, public_url=f"http://127.0.0.1:{client_port}"))
        with serve_app(client_app, port=client_port) as client:
            settings = Settings(
                frontend={"license": "SIM-LICENSE-0001", "base_url": frontend, "org_code": ORG},
                web={"secret_key": "e2e-secret"},
                interaction={"poller": {"interval_s": 0.2, "stream_check_s": 0.2},
                             "client": {"base_url": client}})
            services = build_message_services(message_settings(settings), engine)  # base_user check: outbox
            delivery = DeliveryService.from_settings(settings, engine)
            with serve_app(create_app(settings, engine, services=AppServices(messages=services))) as gateway:
                yield Chain(frontend, settings, services, delivery, gateway, engine)
    engine.dispose()


async def _tick(frontend_url: str, stop: asyncio.Event) -> None:
    """Run the simulator's warning engine every 0.2 s through ``POST /sim/tick`` (its own
    ticker lives in the app lifespan; ticking from outside works whatever the server runs)."""
    async with httpx.AsyncClient(base_url=frontend_url) as http:
        while not stop.is_set():
            await http.post("/sim/tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)


@pytest_asyncio.fixture(loop_scope="module")
async def chain(tmp_path: Path) -> AsyncIterator[Chain]:
    with _chain(tmp_path) as built:
        stop = asyncio.Event()
        ticker = asyncio.create_task(_tick(built.frontend_url, stop))
        built.delivery.start()
        async with built.services.running():
            # The patient goes first: the front-end's children wait for their parent.
            await built.deliver("emr_patient_info", valid_record(
                "emr_patient_info", id="P001", org_code=ORG))
            yield built
        await built.delivery.stop()
        stop.set()
        await ticker


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        chromium = await p.chromium.launch(**CHROMIUM)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def context(browser: Browser) -> AsyncIterator[Any]:
    ctx = await browser.new_context()
    yield ctx
    await ctx.close()


def _doctor(user_id: str = "D001", name: str = "张医生") -> dict[str, Any]:
    return valid_record("base_user", id=user_id, user_name=name, dept_code="A03", org_code=ORG)


def _diagnosis(activity_id: str, doctor: str = "D001", dept: str = "A03") -> dict[str, Any]:
    return valid_record(
        "emr_activity_info", id=activity_id, patient_id="P001", disease_code="A15.0",
        disease_name="肺结核", wm_disease_code="A15.0", operator_id=doctor, dept_code=dept,
        org_code=ORG, serial_number=f"MZ-{activity_id}")


async def _open(context: Any, url: str) -> Page:
    page: Page = await context.new_page()
    await page.goto(url)
    return page


async def test_diagnosis_reaches_the_widget_and_sso_opens_the_session(
    chain: Chain, context: Any
) -> None:
    await chain.deliver("base_user", _doctor())
    page = await _open(context, chain.widget())
    await page.wait_for_selector("#hb-empty", state="visible")
    started = time.monotonic()
    await chain.deliver("emr_activity_info", _diagnosis("V001"))
    await page.wait_for_selector("#hb-popup", state="visible", timeout=10_000)
    elapsed = time.monotonic() - started
    print(f"\ndiagnosis delivered -> pop-up in the widget: {elapsed:.2f} s")
    assert elapsed < 10
    assert "传染病漏报提醒" in await page.inner_text("#hb-popup-title")
    assert "MZ-V001" in await page.inner_text("#hb-list")
    async with context.expect_page() as opened:
        await page.click("#hb-popup-go")
    session = await opened.value
    await session.wait_for_selector("text=张医生", timeout=10_000)
    assert "已登录" in await session.inner_text("body")


async def test_warning_handled_by_its_addressee_not_dismissable_by_a_colleague(
    chain: Chain, context: Any
) -> None:
    await chain.deliver("base_user", _doctor())
    await chain.deliver("base_user", _doctor("D002", "王医生"))
    doctor = await _open(context, chain.widget("D001"))
    colleague = await _open(context, chain.widget("D002"))
    await chain.deliver("emr_activity_info", _diagnosis("V010", doctor="D001", dept="A03"))
    await doctor.wait_for_selector("#hb-popup", state="visible", timeout=10_000)
    theirs = colleague.locator(".hb-item", has_text="MZ-V010")
    await theirs.wait_for(timeout=10_000)  # live in the colleague's list too
    assert "发给 张** 医生" in await theirs.inner_text()
    assert await theirs.locator(".hb-mark-read, .hb-btn-go").count() == 0  # nothing to dismiss
    assert await colleague.is_hidden("#hb-popup")
    msg_id = await theirs.get_attribute("data-id")
    status = await colleague.evaluate(
        """id => new Promise(done => { var x = new XMLHttpRequest();
             x.open("POST", "../api/v1/warnings/" + id + "/read?" + HisBridgeConfig.auth);
             x.onload = () => done([x.status, x.responseText]); x.send(); })""", msg_id)
    assert status[0] == 403 and "发给了其他医生" in status[1]
    await doctor.click("#hb-popup-ok")  # 知道了: marks read for the addressee
    mine = doctor.locator(".hb-item", has_text="MZ-V010")
    await mine.locator(".hb-item-state >> text=已读（张**").wait_for(timeout=5_000)
    assert await mine.locator(".hb-visit-no").input_value() == "MZ-V010"  # no deep link: copy
    await mine.locator(".hb-copy").click()
    await mine.locator(".hb-copied >> text=复制").wait_for(timeout=5_000)
    async with context.expect_page() as opened:
        await mine.locator(".hb-btn-go").click()
    session = await opened.value
    await session.wait_for_selector("text=张医生", timeout=10_000)
    await doctor.wait_for_selector(".hb-item-state >> text=已处理（张**", timeout=5_000)
    again = await _open(context, chain.widget("D002"))
    await again.wait_for_selector(".hb-item-state >> text=已处理（张**", timeout=5_000)


async def test_doctor_not_in_base_user_gets_a_clear_message(chain: Chain, context: Any) -> None:
    await chain.deliver("emr_activity_info", _diagnosis("V020", doctor="D404", dept="X01"))
    page = await _open(context, chain.widget(user="D404", dept=None))
    assert "尚未同步到前置软件" in await page.inner_text("#hb-notices")
    await page.wait_for_selector("#hb-popup", state="visible", timeout=10_000)
    async with context.expect_page():
        await page.click("#hb-popup-go")
    await page.wait_for_selector("#hb-error", state="visible", timeout=5_000)
    assert "base_user" in await page.inner_text("#hb-error")


async def test_client_not_running_is_said_in_chinese(chain: Chain, context: Any) -> None:
    await chain.deliver("base_user", _doctor())
    await chain.deliver("emr_activity_info", _diagnosis("V030"))
    chain.settings.interaction.client.base_url = f"http://127.0.0.1:{_free_port()}"
    page = await _open(context, chain.widget())
    await page.wait_for_selector("#hb-popup", state="visible", timeout=10_000)
    async with context.expect_page():
        await page.click("#hb-popup-go")
    await page.wait_for_selector("#hb-error", state="visible", timeout=10_000)
    assert "未检测到本机的前置软件客户端" in await page.inner_text("#hb-error")


async def test_tampered_link_gets_a_403_page_and_no_data(chain: Chain, context: Any) -> None:
    page = await context.new_page()
    response = await page.goto(chain.widget().replace("userId=D001", "userId=D002"))
    assert response is not None and response.status == 403
    body = await page.inner_text("body")
    assert "无法打开预警提醒页面" in body and "传染病漏报提醒" not in body


async def test_notices_list_during_an_outage_then_live_after_recovery(
    chain: Chain, context: Any
) -> None:
    """A doctor not yet in base_user still sees the outage, ranked first; once the front-end is
    back the widget is live again within about one poll interval (not at a 60 s heartbeat)."""
    chain.settings.interaction.widget.stale_after_s = 0.5
    chain.settings.interaction.poller.heartbeat_s = 60
    page = await _open(context, chain.widget(user="D404", dept=None))
    await page.wait_for_selector("text=尚未同步到前置软件", timeout=5_000)
    await chain.faults({"outage_seconds": 600})
    await page.wait_for_selector("text=预警消息可能延迟", timeout=10_000)  # not hidden by it
    kinds = await page.eval_on_selector_all("#hb-notices li", "els => els.map(e => e.dataset.kind)")
    assert kinds == ["outage", "user_not_synced"]
    await chain.faults({})  # the front-end is back
    recovered = time.monotonic()
    await page.wait_for_selector("[data-kind=outage]", state="detached", timeout=10_000)
    elapsed = time.monotonic() - recovered
    print(f"\nfront-end back -> widget live: {elapsed:.2f} s")
    assert elapsed < 3.0
    assert await page.inner_text("#hb-conn") == "实时"
    assert await page.eval_on_selector_all(
        "#hb-notices li", "els => els.map(e => e.dataset.kind)") == ["user_not_synced"]
    await chain.deliver("emr_activity_info", _diagnosis("V040", doctor="D404", dept="X01"))
    await page.wait_for_selector("text=MZ-V040", timeout=15_000)
    assert "按时间倒序" in await page.inner_text("#hb-order")  # the order is stated


async def test_go_handle_opens_the_patients_visit_with_the_template(
    chain: Chain, context: Any
) -> None:
    chain.settings.interaction.client.deep_link_template = (
        "{session_url}/report-card?patientId={patient_id}&visitId={visit_id}&cardId={card_id}")
    await chain.deliver("base_user", _doctor())
    page = await _open(context, chain.widget())
    await chain.deliver("emr_activity_info", _diagnosis("V060"))
    await page.wait_for_selector("#hb-popup", state="visible", timeout=10_000)
    item = page.locator(".hb-item", has_text="MZ-V060")
    assert await item.locator(".hb-copy").count() == 0  # the client opens at the visit itself
    async with context.expect_page() as opened:
        await page.click("#hb-popup-go")
    client = await opened.value
    await client.wait_for_selector("#report-card", timeout=10_000)
    assert "/report-card?patientId=P001&visitId=MZ-V060" in client.url
    assert "患者 P001 · 就诊号 MZ-V060" in await client.inner_text("#visit")
    assert "患者已在前置软件" in await client.inner_text("#patient-known")
    assert "张医生" in await client.inner_text("#who")


async def test_old_browser_without_eventsource_falls_back_to_polling(
    chain: Chain, context: Any
) -> None:
    await context.add_init_script("window.EventSource = undefined;")
    await chain.deliver("base_user", _doctor())
    page = await _open(context, chain.widget())
    await page.wait_for_selector("text=定时刷新", timeout=5_000)
    await chain.deliver("emr_activity_info", _diagnosis("V050"))
    await page.wait_for_selector("#hb-popup", state="visible", timeout=15_000)
    assert "MZ-V050" in await page.inner_text("#hb-list")


def _his_page(gateway: str, auth: str) -> Any:
    """A B/S HIS page on its own origin that loads ``/ws/sso.js`` from the gateway."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    html = f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>
<button id="report">上报传染病</button><p id="problem"></p>
<script src="{gateway}/ws/sso.js"></script>
<script>
document.getElementById("report").onclick = function () {{
  HisBridge.sso({{ userId: "D001", auth: "{auth}", onError: function (m) {{
    document.getElementById("problem").appendChild(document.createTextNode(m)); }} }});
}};
</script></body></html>"""

    async def page(_: Any) -> HTMLResponse:
        return HTMLResponse(html)

    return Starlette(routes=[Route("/doctor", page)])


async def test_his_page_on_another_origin_signs_on_with_the_sdk(
    chain: Chain, context: Any
) -> None:
    await chain.deliver("base_user", _doctor())
    auth = chain.widget().split("?", 1)[1]
    with serve_app(_his_page(chain.gateway_url, auth)) as his:
        chain.settings.web.workstation_origins = [his]  # the HIS page's origin is listed
        page = await _open(context, f"{his}/doctor")
        async with context.expect_page() as opened:
            await page.click("#report")
        session = await opened.value
        await session.wait_for_selector("text=张医生", timeout=10_000)
        assert await page.inner_text("#problem") == ""
        # An origin the gateway does not allow cannot read the answer: a clear message instead.
        chain.settings.web.workstation_origins = ["http://his.example"]
        async with context.expect_page():
            await page.click("#report")
        await page.wait_for_selector("text=无法连接 hisbridge 网关", timeout=10_000)


async def test_notifiable_diagnosis_in_the_his_reaches_the_widget(
    chain: Chain, context: Any, tmp_path: Path
) -> None:
    """The whole chain from the synthetic HIS database: SQL poll (the worked-example mapping)
    -> intake -> delivery -> simulator -> 漏报 -> poller -> widget."""
    his_url = f"sqlite:///{tmp_path / 'his.db'}"
    config = write_example(tmp_path / "project", his_url=his_url,
                           frontend_url=chain.frontend_url, store_url=chain.settings.store.url)[0]
    project = open_project(config)
    his = make_engine(his_url)
    build_day(his, date.today(), 5, seed=7)  # staff, departments, a few ordinary visits
    with SqlPoller(project, chain.delivery.intake, chain.engine) as poller:
        await asyncio.to_thread(_poll, poller, "base", "realtime")
        assert await chain.delivery.run_until_idle(timeout=10)
        started = time.monotonic()
        live = LiveActivity(his, seed=3, visits_per_step=1, infectious_share=1.0,
                            correction_share=0.0)
        await asyncio.to_thread(live.step)  # a doctor saves a notifiable diagnosis now
        doctor, visit = _newest_notifiable(his)
        page = await _open(context, chain.widget(user=doctor, dept=None))
        await asyncio.to_thread(_poll, poller, "realtime")
        chain.delivery.wake()
        await page.wait_for_selector("#hb-popup", state="visible", timeout=10_000)
    elapsed = time.monotonic() - started
    print(f"\nHIS diagnosis saved -> pop-up in the widget: {elapsed:.2f} s")
    assert elapsed < 10
    assert visit in await page.inner_text("#hb-list")
    his.dispose()


def _poll(poller: SqlPoller, *groups: str) -> None:
    for group in groups:
        for report in poller.poll_all(group=group):
            assert report.error is None, report


def _newest_notifiable(his: Engine) -> tuple[str, str]:
    codes = tuple(INFECTIOUS_DIAGNOSES)
    with his.connect() as conn:
        row = conn.execute(
            select(his_metadata.tables["diagnosis"].c.doctor,
                   his_metadata.tables["diagnosis"].c.visit_no)
            .where(his_metadata.tables["diagnosis"].c.diag_code.in_(codes))
            .order_by(his_metadata.tables["diagnosis"].c.modify_time.desc())).first()
    assert row is not None
    return str(row.doctor), str(row.visit_no)
