"""In Chromium: outpatient doctor with the SMS channel, inpatient admission with 粤健通 (APP).

The gateway and the provincial simulator run with uvicorn on free 127.0.0.1 ports in
background threads (real HTTP both ways, callbacks included); the test plays the patient
through the simulator's ``/sim`` endpoints. A screenshot is saved under ``test-artifacts/``
when a step fails.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from hisbridge._clock import system_clock
from hisbridge.consent.wiring import build_gdhealth_services, viewer_url
from hisbridge.settings import Settings
from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import secret_settings
from hisbridge.web.app import create_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path("test-artifacts")
TOKEN = "his-push-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(app: Any, port: int, close: Callable[[], Awaitable[None]]) -> Iterator[None]:
    """uvicorn in a thread; ``close`` runs in the server's loop after it stops (client pools)."""
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            loop="asyncio",
            http="h11",
        )
    )

    async def serve() -> None:
        try:
            await server.serve()
        finally:
            await close()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(5)


class Live:
    def __init__(self, settings: Settings, gateway: str, sim: str, sim_app: Any) -> None:
        self.settings, self.gateway, self.sim, self.sim_app = settings, gateway, sim, sim_app

    def resident(self, index: int) -> Any:
        return self.sim_app.state.platform.residents[index]

    def push(self, event: dict[str, Any]) -> None:
        reply = httpx.post(f"{self.gateway}/api/v1/encounters", json=event, timeout=10,
                           headers={"Authorization": f"Bearer {TOKEN}"})
        assert reply.status_code == 202, reply.text

    def url(self, patient_id: str, kind: str, encounter_id: str) -> str:
        return viewer_url(
            self.settings,
            self.gateway,
            patient_id=patient_id,
            encounter_type=kind,
            encounter_id=encounter_id,
            user_id="D0001",
            user_name="张医生",
            dept_code="0301",
            now=system_clock.now(),
        )

    def pending_auth(self, id_no: str) -> str:
        found = httpx.get(
            f"{self.sim}/sim/authorizations", params={"idNo": id_no, "status": "PENDING"}
        ).json()
        assert len(found) == 1, found
        return str(found[0]["authId"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    gw_port, sim_port = _free_port(), _free_port()
    gateway, sim = f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{sim_port}"
    settings = secret_settings(
        push={"token": TOKEN},
        gdhealth={"base_url": sim, "callback_url": f"{gateway}/api/v1/consents/callback"},
    )
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('viewer') / 'gw.db'}")
    upgrade(engine)
    sim_app = create_gdhealth_sim_app(settings.gdhealth, seed=11, residents=4)
    services = build_gdhealth_services(settings, engine)
    app = create_app(settings, engine, **services.state())
    with (
        _serve(sim_app, sim_port, sim_app.state.sim.http.aclose),
        _serve(app, gw_port, services.aclose),
    ):
        yield Live(settings, gateway, sim, sim_app)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


def _snap(page: Any, name: str) -> None:
    if os.environ.get("HISBRIDGE_SCREENSHOTS"):  # for reviewing the look by eye
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _steps(browser: Any, name: str, steps: Callable[[Any], None]) -> None:
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 860})
    try:
        steps(page)
        _snap(page, f"{name}-ok")
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise
    finally:
        page.close()


def _open_lab_report(page: Any) -> None:
    page.wait_for_selector("[data-testid=timeline] .group", timeout=15000)
    assert page.locator(".group[data-category=VACCINATION]").count() == 1
    page.locator("[data-testid=doc-lab_report]").first.click()
    table = page.locator("[data-testid=detail] table[data-testid=items]")
    table.wait_for(timeout=10000)
    assert table.locator("th").first.inner_text() == "项目"
    assert table.locator("tbody tr").count() >= 3
    watermark = page.locator("[data-testid=watermark] span").first
    assert "张医生" in watermark.inner_text()


def test_outpatient_doctor_uses_sms_code(live: Live, browser: Any) -> None:
    person = live.resident(0)
    live.push(
        {
            "event": "REGISTERED",
            "patient": {"hisPatientId": "P100", "idNo": person.id_no, "name": person.name},
            "encounter": {
                "type": "outpatient",
                "id": "MZ100",
                "visitDate": system_clock.now().date().isoformat(),
            },
        }
    )

    def steps(page: Any) -> None:
        page.goto(live.url("P100", "OUTPATIENT", "MZ100"))
        assert page.locator("[data-testid=status]").inner_text() == "未授权"
        page.click("[data-testid=channel-sms]")
        page.wait_for_selector("[data-testid=sms-code]", state="visible")
        auth_id = live.pending_auth(person.id_no)
        sms = httpx.get(f"{live.sim}/sim/sms", params={"authId": auth_id}).json()
        page.fill("[data-testid=sms-code]", "000000")
        page.click("[data-testid=sms-submit]")
        page.wait_for_selector("text=还可尝试 4 次")
        _snap(page, "viewer-sms-wrong-code")
        page.fill("[data-testid=sms-code]", sms["code"])
        page.click("[data-testid=sms-submit]")
        page.wait_for_selector("[data-testid=status]:has-text('已授权')")
        _open_lab_report(page)
        # the patient revokes in 粤健通 while the doctor is reading: the next open is refused
        httpx.post(f"{live.sim}/sim/authorizations/{auth_id}/revoke")
        page.locator("[data-testid=doc-vaccination]").first.click()
        page.wait_for_selector("[data-testid=status]:has-text('患者已撤销授权')", timeout=10000)
        assert "患者已撤销授权" in page.locator("[data-testid=message]").inner_text()
        assert page.locator("[data-testid=timeline] .item").count() == 0
        assert not page.locator("#records").is_visible()

    _steps(browser, "viewer-outpatient-sms", steps)


def test_inpatient_admission_uses_app(live: Live, browser: Any) -> None:
    person = live.resident(1)
    live.push(
        {
            "event": "ADMITTED",
            "patient": {"hisPatientId": "P200", "idNo": person.id_no, "name": person.name},
            "encounter": {
                "type": "inpatient",
                "id": "ZY200",
                "admittedAt": system_clock.now().isoformat(),
            },
        }
    )

    def steps(page: Any) -> None:
        page.goto(live.url("P200", "INPATIENT", "ZY200"))
        assert "住院" in page.locator("h1").inner_text()
        page.click("[data-testid=channel-app]")
        page.wait_for_selector("text=等待患者授权")
        auth_id = live.pending_auth(person.id_no)
        approved = httpx.post(f"{live.sim}/sim/authorizations/{auth_id}/approve")
        assert approved.status_code == 200
        page.wait_for_selector("[data-testid=status]:has-text('已授权')", timeout=15000)
        _open_lab_report(page)

    _steps(browser, "viewer-inpatient-app", steps)
