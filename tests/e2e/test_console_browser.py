"""The console in a real browser (system Chromium, headless): each role, a record found by its
visit serial number, a dead letter replayed and delivered, the dashboard moving live.

Screenshots: on failure under ``test-artifacts/``. The ones in docs/console.md are taken here:
into ``docs/img/console-*.png`` with ``HISBRIDGE_DOCS_SCREENSHOTS=1``, else into
``test-artifacts/docs/`` so that a test run does not rewrite the docs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine, insert

from hisbridge.audit.log import AuditLog
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.sources import source_unmapped_codes
from hisbridge.testing import RecordingTarget, sample_record, serve_app
from hisbridge.testing.console import FAST_ARGON2, ROLE_USERS, add_role_users
from hisbridge.testing.targets import rejected
from hisbridge.web.app import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS_IMG = ROOT / "docs" / "img" if os.environ.get("HISBRIDGE_DOCS_SCREENSHOTS") == "1" \
    else ARTIFACTS / "docs"
SERIAL = "MZ20260301001"
LICENCE = "demo-licence-0042"


@dataclass
class Gateway:
    url: str
    service: DeliveryService
    target: RecordingTarget
    loop: asyncio.AbstractEventLoop


def _visits(start: int, count: int) -> list[dict[str, object]]:
    return [sample_record("emr_outpatient_record", f"V-{n}", parent_id=f"P-{n % 3}", serial=n,
                          serial_number=SERIAL if n == 1 else f"MZ-{n:04d}")
            for n in range(start, start + count)]


def _fill(service: DeliveryService, target: RecordingTarget) -> None:
    patients = [sample_record("emr_patient_info", f"P-{n}", serial=n) for n in range(3)]
    service.accept("emr_patient_info", patients)
    target.script("V-3", [rejected("04")])
    service.accept("emr_outpatient_record", _visits(1, 12), source="e2e")
    broken = sample_record("emr_outpatient_record", "V-bad", parent_id="P-1", id_card="440106199001011230")
    service.accept("emr_outpatient_record", [broken], source="e2e")


def _audit(engine: Engine) -> None:
    log = AuditLog(engine, algorithm="sm3")
    for n, category in enumerate(("LAB", "EXAM", "VISIT")):
        log.append("record.view", "doc1", actor_name="王医生", role="doctor", dept_code="D01",
                   patient_masked="张*", category=category, doc_id=f"DOC-{n}", client_addr="10.1.2.3")


def _unmapped(engine: Engine) -> None:
    """Codes the HIS mapping could not translate, as the SQL poller records them."""
    now = datetime.now(UTC)
    rows = [("gender", "男性", 41, "emr_patient_info", "gender_code"),
            ("department", "内一科", 17, "emr_outpatient_record", "dept_code"),
            ("department", "急诊外科", 5, "emr_outpatient_record", "dept_code")]
    with engine.begin() as conn:
        conn.execute(insert(source_unmapped_codes), [
            {"source": "his", "code_set": cs, "hospital_code": code, "count": n, "table_name": t,
             "column_name": c, "first_seen": now, "last_seen": now} for cs, code, n, t, c in rows])


def _delivery_loop(service: DeliveryService) -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(_start(service), loop).result(10)
    return loop, thread


async def _start(service: DeliveryService) -> None:
    service.start()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('console') / 'store.db'}")
    upgrade(engine)
    add_role_users(engine)
    settings = load_settings(validation={"mode": "strict"}, frontend={"license": LICENCE},
                             console={"alerts": {"dead_growth": 1}, "argon2": FAST_ARGON2})
    target = RecordingTarget()
    service = DeliveryService.from_settings(settings, engine, target=target)
    _fill(service, target)
    _audit(engine)
    _unmapped(engine)
    loop, worker_thread = _delivery_loop(service)
    try:
        with serve_app(create_app(settings, engine), lifespan="off") as url:
            yield Gateway(url, service, target, loop)
    finally:
        asyncio.run_coroutine_threadsafe(service.stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        worker_thread.join(5)
        loop.close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    failed = True
    try:
        yield page
        failed = False
    finally:
        if failed or getattr(request.node, "_failed", False):
            ARTIFACTS.mkdir(exist_ok=True)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()


@contextlib.contextmanager
def shot_on_failure(page: Page, name: str) -> Iterator[None]:
    """Save a screenshot under test-artifacts/ when the block fails, then re-raise."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def doc_shot(page: Page, name: str) -> None:
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / f"console-{name}.png"), full_page=False)


def log_in(page: Page, base: str, name: str, *, shot: bool = False) -> None:
    page.goto(f"{base}/console/login")
    page.fill("input[name=user]", name)
    page.fill("input[name=password]", ROLE_USERS[name][1])
    if shot:
        doc_shot(page, "login")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("user")).to_have_text(name)


def _wait_sent(gateway: Gateway, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(gateway.target.calls) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def _wait_delivered(gateway: Gateway, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(gateway.target.delivered) < count and time.monotonic() < deadline:
        time.sleep(0.1)


EXPECT_MENU = {
    "admin1": {"总览": True, "死信": True, "审计日志": True, "用户": True, "配置": True},
    "operator1": {"总览": True, "死信": True, "审计日志": False, "用户": False, "配置": True},
    "auditor1": {"总览": True, "死信": True, "审计日志": True, "用户": False, "配置": False},
}


@pytest.mark.parametrize("name", sorted(ROLE_USERS))
def test_each_role_sees_and_may_do_what_it_should(gateway: Gateway, page: Page, name: str) -> None:
    with shot_on_failure(page, f"role-{name}"):
        log_in(page, gateway.url, name, shot=name == "admin1")
        side = page.locator("aside.side")
        for label, shown in EXPECT_MENU[name].items():
            expect(side.get_by_role("link", name=label, exact=True)).to_have_count(1 if shown else 0)
        page.goto(f"{gateway.url}/console/users")
        if name == "admin1":
            expect(page.get_by_test_id("users")).to_contain_text("auditor1")
        else:
            expect(page.get_by_test_id("message")).to_contain_text("无权")
        page.goto(f"{gateway.url}/console/dead?table=emr_outpatient_record")
        expect(page.get_by_test_id("replay")).to_have_count(0 if name == "auditor1" else 1)
        page.goto(f"{gateway.url}/console/audit")
        if name == "operator1":
            expect(page.get_by_test_id("message")).to_contain_text("无权")
        else:
            page.get_by_test_id("verify").click()
            expect(page.get_by_test_id("verify-ok")).to_contain_text("3")
            expect(page.get_by_test_id("audit-rows")).to_contain_text("DOC-2")
            if name == "auditor1":
                doc_shot(page, "audit")
        page.goto(f"{gateway.url}/console/config")
        if name == "auditor1":
            expect(page.get_by_test_id("message")).to_contain_text("无权")
        else:
            expect(page.get_by_test_id("config-web")).to_contain_text("******")
            expect(page.get_by_test_id("config-web")).not_to_contain_text("change-me-in-production")
            expect(page.get_by_test_id("config-frontend")).not_to_contain_text(LICENCE)
        if name == "admin1":
            doc_shot(page, "config")
            _wait_sent(gateway, 15)  # the dead letter V-3 is dead by now
            page.goto(f"{gateway.url}/console/alerts?lang=en")
            page.get_by_role("button", name="Evaluate now").click()
            expect(page.get_by_test_id("alerts-active")).to_contain_text("emr_outpatient_record")
            doc_shot(page, "alerts-en")
            page.goto(f"{gateway.url}/console/?lang=zh")


def test_login_failure_and_language_switch(gateway: Gateway, page: Page) -> None:
    with shot_on_failure(page, "login-failure"):
        page.goto(f"{gateway.url}/console/dead")
        expect(page).to_have_url(f"{gateway.url}/console/login?next=%2Fconsole%2Fdead")
        page.fill("input[name=user]", "operator1")
        page.fill("input[name=password]", "wrong-password-1")
        page.click("button[type=submit]")
        expect(page.get_by_test_id("login-error")).to_contain_text("用户名或密码错误")
        page.fill("input[name=password]", ROLE_USERS["operator1"][1])
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{gateway.url}/console/dead")
        page.click("text=English")
        expect(page.locator("h1")).to_have_text("Dead letters")
        page.click("text=中文")


def test_find_a_record_by_visit_serial_number(gateway: Gateway, page: Page) -> None:
    _wait_delivered(gateway, 14)
    with shot_on_failure(page, "find-record"):
        log_in(page, gateway.url, "operator1")
        page.click("aside >> text=记录查询")
        page.fill("input[name=serial_number]", SERIAL)
        page.click("form[data-testid=record-search] button[type=submit]")
        rows = page.get_by_test_id("record-rows")
        expect(rows).to_contain_text("V-1")
        expect(rows.locator("tr")).to_have_count(2)  # header + the one visit
        doc_shot(page, "records")
        rows.get_by_role("link", name="V-1").click()
        expect(page.get_by_test_id("record-id")).to_have_text("V-1")
        expect(page.get_by_test_id("entries")).to_contain_text("delivered")
        expect(page.get_by_test_id("links")).to_contain_text("emr_patient_info")


def test_replay_a_dead_letter_and_see_it_delivered(gateway: Gateway, page: Page) -> None:
    _wait_delivered(gateway, 14)
    with shot_on_failure(page, "replay"):
        log_in(page, gateway.url, "operator1")
        page.click("aside >> text=对账")
        expect(page.get_by_test_id("recon")).to_contain_text("emr_outpatient_record")
        doc_shot(page, "reconcile")
        page.get_by_test_id("resend-emr_outpatient_record").click()  # today's dead letters of the table
        expect(page.get_by_test_id("preview")).to_contain_text("符合条件：1 条")
        expect(page.get_by_test_id("dead-rows")).to_contain_text("V-3")
        doc_shot(page, "dead-letters")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("replay").click()
        expect(page.get_by_test_id("replay-done")).to_contain_text("已重发 1 条")
        page.goto(f"{gateway.url}/console/records/emr_outpatient_record/V-3")
        deadline = time.monotonic() + 15
        while "delivered" not in page.get_by_test_id("entries").inner_text() and time.monotonic() < deadline:
            time.sleep(0.3)
            page.reload()
        entries = page.get_by_test_id("entries")
        expect(entries).to_contain_text("terminal")
        expect(entries).to_contain_text("delivered")
        doc_shot(page, "record")


def test_dashboard_counters_move_live(gateway: Gateway, page: Page) -> None:
    with shot_on_failure(page, "dashboard-live"):
        log_in(page, gateway.url, "admin1")
        accepted = page.get_by_test_id("total-accepted")
        expect(page.locator("[data-live].on")).to_have_count(1)
        before = int(accepted.inner_text())
        gateway.service.accept("emr_outpatient_record", _visits(100, 5), source="e2e-live")
        expect(accepted).to_have_text(str(before + 5), timeout=15_000)  # no reload: server-sent events
        expect(page.get_by_test_id("total-delivered")).not_to_have_text("0")
        doc_shot(page, "dashboard")
        page.goto(f"{gateway.url}/console/quality")
        expect(page.get_by_test_id("violations")).to_contain_text("id_card")
        expect(page.get_by_test_id("unmapped")).to_contain_text("内一科")
        doc_shot(page, "quality")
