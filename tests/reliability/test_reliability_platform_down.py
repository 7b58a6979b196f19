"""The provincial platform (gdhealth simulator on a real port) stops while a doctor is viewing.

A grant is obtained over real HTTP, a document is viewed (and so cached), then the platform's
server is stopped: the viewer and the records API must answer a clear Chinese error, never the
cached document and never data on the strength of the grant seen before the outage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from hisbridge._clock import system_clock
from hisbridge.runtime.sharing import build_gdhealth_services, viewer_url
from hisbridge.settings import Settings
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.simulators.gdhealth import create_gdhealth_sim_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import TEST_SECRETS, secret_settings, serve_app
from hisbridge.web.app import create_app

GATEWAY = "http://gateway.test"
TOKEN = "his-push-token"


@pytest.fixture
async def viewing(tmp_path: Path) -> AsyncIterator[dict[str, object]]:
    config = GdHealthSettings(**TEST_SECRETS["gdhealth"],
                              callback_url=f"{GATEWAY}/api/v1/consents/callback",
                              org_name="示例市第一人民医院")
    sim_app = create_gdhealth_sim_app(config, seed=7, residents=4)
    with ExitStack() as stack:
        url = stack.enter_context(serve_app(sim_app))
        settings = secret_settings(push={"token": TOKEN},
                                   gdhealth={**config.model_dump(), "base_url": url})
        engine = make_engine(f"sqlite:///{tmp_path / 'gw.db'}")
        upgrade(engine)
        services = build_gdhealth_services(settings, engine)
        app = create_app(settings, engine, services=services.for_app())
        gateway = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=GATEWAY,
                                    headers={"Authorization": f"Bearer {TOKEN}"})
        yield {"gateway": gateway, "settings": settings, "sim": sim_app, "stack": stack}
        await gateway.aclose()
        await services.aclose()
        await sim_app.state.sim.http.aclose()
        engine.dispose()


async def test_platform_down_during_viewing_gives_a_clear_error_and_no_stale_data(
        viewing: dict[str, object]) -> None:
    gateway, settings, sim = viewing["gateway"], viewing["settings"], viewing["sim"]
    assert isinstance(gateway, httpx.AsyncClient) and isinstance(settings, Settings)
    person = sim.state.platform.residents[0]  # type: ignore[attr-defined]
    await gateway.post("/api/v1/encounters", json={
        "event": "REGISTERED", "patient": {"hisPatientId": "P1", "idNo": person.id_no,
                                           "name": person.name},
        "encounter": {"type": "outpatient", "id": "MZ1", "visitDate": "2026-03-02"}})
    page = viewer_url(settings, GATEWAY, patient_id="P1", encounter_type="OUTPATIENT",
                      encounter_id="MZ1", user_id="D0001", user_name="张医生", dept_code="0301",
                      now=system_clock.now())
    api = page.removeprefix(GATEWAY).replace("/ws/shared?", "/ws/shared/api/{}?")
    await gateway.post(api.format("apply"), json={"channel": "SMS"})
    code = sim.state.platform.sms_outbox[-1]["code"]  # type: ignore[attr-defined]
    granted = await gateway.post(api.format("sms"), json={"code": code})
    assert granted.json()["statusText"] == "已授权", granted.text
    doc = sim.state.platform.documents[person.person_key][0]  # type: ignore[attr-defined]
    before = await gateway.get(api.format(f"doc/{doc.doc_id}"))
    assert before.status_code == 200

    viewing["stack"].close()  # type: ignore[attr-defined]  # the platform's server stops

    timeline = await gateway.get(api.format("timeline"))
    again = await gateway.get(api.format(f"doc/{doc.doc_id}"))
    for reply in (timeline, again):
        assert reply.status_code in (502, 503, 504), (reply.status_code, reply.text[:300])
        assert "省平台暂不可用" in reply.json()["error"], reply.text
        assert "Traceback" not in reply.text
    assert doc.doc_id not in again.text  # the cached document is not served on a stale grant
