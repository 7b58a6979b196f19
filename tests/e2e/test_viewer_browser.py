"""In Chromium, one test per flow as a clinician sees it: booking → visit → viewing; SMS at the
outpatient desk (a wrong code, then the right one); 粤健通 (APP) at admission; the patient
revoking while the viewer is open (an idle page, the next click and a reload all stop showing
records).

The gateway and the provincial simulator run with uvicorn on free 127.0.0.1 ports in
background threads (real HTTP both ways, callbacks included); the test plays the patient
through the simulator's ``/sim`` endpoints. A screenshot is saved under ``test-artifacts/``
when a step fails.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hisbridge._clock import CHINA_TZ, system_clock
from hisbridge.runtime.sharing import build_gdhealth_services, viewer_url
from hisbridge.settings import Settings
from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import free_ports, secret_settings, serve_app
from hisbridge.web.app import create_app

pytestmark = pytest.mark.browser
ARTIFACTS = Path("test-artifacts")
TOKEN = "his-push-token"
HOSPITAL = "示例市第一人民医院"
RECHECK_S = 3  # gdhealth.viewer_recheck_s: how soon an idle open viewer notices a revocation


class Live:
    def __init__(self, settings: Settings, gateway: str, sim: str, sim_app: Any) -> None:
        self.settings, self.gateway, self.sim, self.sim_app = settings, gateway, sim, sim_app

    def resident(self, index: int) -> Any:
        return self.sim_app.state.platform.residents[index]

    def push(self, event: dict[str, Any], path: str = "/api/v1/encounters") -> dict[str, Any]:
        reply = httpx.post(f"{self.gateway}{path}", json=event, timeout=10,
                           headers={"Authorization": f"Bearer {TOKEN}"})
        assert reply.status_code in (201, 202), reply.text
        return reply.json()  # type: ignore[no-any-return]

    def register(self, index: int, patient_id: str, kind: str, encounter_id: str,
                 **encounter: Any) -> None:
        """The HIS pushes a registration (outpatient) or an admission (inpatient)."""
        person = self.resident(index)
        event = "ADMITTED" if kind == "inpatient" else "REGISTERED"
        moment = system_clock.now()
        times = ({"admittedAt": moment.isoformat()} if kind == "inpatient"
                 else {"visitDate": moment.date().isoformat()})
        self.push({
            "event": event,
            "patient": {"hisPatientId": patient_id, "idNo": person.id_no, "name": person.name},
            "encounter": {"type": kind, "id": encounter_id, **times, **encounter},
        })

    def patient(self, auth_id: str, decision: str) -> None:
        """The patient decides in 粤健通 (the platform calls the gateway back)."""
        reply = httpx.post(f"{self.sim}/sim/authorizations/{auth_id}/{decision}", timeout=10)
        assert reply.status_code == 200, reply.text

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
    gw_port, sim_port = free_ports(2)
    gateway, sim = f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{sim_port}"
    settings = secret_settings(
        push={"token": TOKEN},
        gdhealth={"base_url": sim, "callback_url": f"{gateway}/api/v1/consents/callback",
                  "org_name": HOSPITAL, "viewer_recheck_s": RECHECK_S},
    )
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('viewer') / 'gw.db'}")
    upgrade(engine)
    sim_app = create_gdhealth_sim_app(settings.gdhealth, seed=11, residents=5)
    services = build_gdhealth_services(settings, engine)
    app = create_app(settings, engine, services=services.for_app())
    with (
        serve_app(sim_app, port=sim_port, lifespan="off", on_stop=sim_app.state.sim.http.aclose),
        serve_app(app, port=gw_port, lifespan="off", on_stop=services.aclose),
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


def _records_gone(page: Any, why: str) -> None:
    """The authorization ended: status and message say so, no record is left on the page."""
    page.wait_for_selector(f"[data-testid=status]:has-text('{why}')", timeout=10000)
    assert why in page.locator("[data-testid=message]").inner_text()
    assert page.locator("[data-testid=timeline] .item").count() == 0
    assert page.locator("[data-testid=detail] table").count() == 0
    assert not page.locator("#records").is_visible()


def test_booking_then_visit_then_viewing(live: Live, browser: Any) -> None:
    person = live.resident(2)
    slot = (system_clock.now().astimezone(CHINA_TZ) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    booked = live.push({
        "bookingId": "YY300",
        "patient": {"hisPatientId": "P300", "idNo": person.id_no, "name": person.name},
        "visitDate": slot.date().isoformat(),
        "slotStart": slot.isoformat(),
        "deptCode": "0301",
    }, "/api/v1/bookings")["consent"]
    assert booked["status"] == "PENDING"
    assert datetime.fromisoformat(booked["requestExpiresAt"]) == slot  # until the slot starts
    notice = httpx.get(f"{live.sim}/sim/notices", params={"authId": booked["authId"]}).json()
    assert HOSPITAL in notice[0]["text"]  # the patient's 粤健通 message names the hospital
    live.patient(booked["authId"], "approve")  # consent given at home, inside the booking flow
    live.register(2, "P300", "outpatient", "MZ300", appointmentId="YY300",
                  visitDate=slot.date().isoformat())

    def steps(page: Any) -> None:
        page.goto(live.url("P300", "OUTPATIENT", "MZ300"))
        assert page.locator("[data-testid=status]").inner_text() == "已授权"
        assert not page.locator("[data-testid=auth-panel]").is_visible()  # nothing to ask
        _open_lab_report(page)

    _steps(browser, "viewer-booking", steps)


def test_outpatient_desk_sms_wrong_code_then_right(live: Live, browser: Any) -> None:
    person = live.resident(0)
    live.register(0, "P100", "outpatient", "MZ100")

    def steps(page: Any) -> None:
        page.goto(live.url("P100", "OUTPATIENT", "MZ100"))
        assert page.locator("[data-testid=status]").inner_text() == "未授权"
        page.click("[data-testid=channel-sms]")
        page.wait_for_selector("[data-testid=sms-code]", state="visible")
        auth_id = live.pending_auth(person.id_no)
        sms = httpx.get(f"{live.sim}/sim/sms", params={"authId": auth_id}).json()
        assert f"{HOSPITAL}申请调阅您的健康档案" in sms["text"]  # what the patient reads
        page.fill("[data-testid=sms-code]", "000000")
        page.click("[data-testid=sms-submit]")
        page.wait_for_selector("text=还可尝试 4 次")
        assert page.locator("[data-testid=status]").inner_text().startswith("患者尚未完成授权")
        _snap(page, "viewer-sms-wrong-code")
        page.fill("[data-testid=sms-code]", sms["code"])
        page.click("[data-testid=sms-submit]")
        page.wait_for_selector("[data-testid=status]:has-text('已授权')")
        _open_lab_report(page)

    _steps(browser, "viewer-outpatient-sms", steps)


def test_inpatient_admission_uses_app(live: Live, browser: Any) -> None:
    person = live.resident(1)
    live.register(1, "P200", "inpatient", "ZY200")

    def steps(page: Any) -> None:
        page.goto(live.url("P200", "INPATIENT", "ZY200"))
        assert "住院" in page.locator("h1").inner_text()
        page.click("[data-testid=channel-app]")
        page.wait_for_selector("text=等待患者授权")
        live.patient(live.pending_auth(person.id_no), "approve")
        page.wait_for_selector("[data-testid=status]:has-text('已授权')", timeout=15000)
        _open_lab_report(page)

    _steps(browser, "viewer-inpatient-app", steps)


def _grant_with_code(live: Live, page: Any, id_no: str) -> str:
    """The patient shows a code from a third-party app; the doctor redeems it."""
    issued = httpx.post(f"{live.sim}/sim/auth-codes", json={"idNo": id_no}).json()
    page.click("[data-testid=channel-code]")
    page.fill("[data-testid=auth-code]", issued["authCode"])
    page.click("[data-testid=code-submit]")
    page.wait_for_selector("[data-testid=status]:has-text('已授权')", timeout=15000)
    found = httpx.get(f"{live.sim}/sim/authorizations",
                      params={"idNo": id_no, "status": "GRANTED"}).json()
    assert len(found) == 1, found
    return str(found[0]["authId"])


def test_revocation_while_the_viewer_is_open(live: Live, browser: Any) -> None:
    person = live.resident(3)
    live.register(3, "P400", "outpatient", "MZ400")
    url = live.url("P400", "OUTPATIENT", "MZ400")

    def steps(page: Any) -> None:
        page.goto(url)
        auth_id = _grant_with_code(live, page, person.id_no)
        _open_lab_report(page)
        # 1. revoked in 粤健通; the doctor's next click is refused and the records disappear
        live.patient(auth_id, "revoke")
        page.locator("[data-testid=doc-vaccination]").first.click()
        _records_gone(page, "患者已撤销授权")
        # 2. a reload shows the ended authorization, not the records
        page.reload()
        assert page.locator("[data-testid=status]").inner_text() == "患者已撤销授权"
        assert not page.locator("#records").is_visible()
        assert page.locator("[data-testid=channel-app]").is_visible()  # may ask again
        # 3. a new grant, revoked while the doctor only reads: the idle page notices by itself
        again = _grant_with_code(live, page, person.id_no)
        _open_lab_report(page)
        live.patient(again, "revoke")
        started = time.monotonic()
        _records_gone(page, "患者已撤销授权")
        assert time.monotonic() - started < RECHECK_S + 5

    _steps(browser, "viewer-revoked-while-open", steps)
