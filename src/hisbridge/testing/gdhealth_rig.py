"""An in-process rig: the gateway (store, consent/record services, API, viewer) wired to the
simulator, each reaching the other through ``httpx.ASGITransport``. Used by tests and demos.

    rig = build_rig("sqlite:///tmp/x.db", clock=ManualClock())
    await rig.gateway.post("/api/v1/consents", json=...)
    rig.platform.patient_decides(auth_id, "approve")

``build_rig(url, institutions=[{"org_code": "H01", "gdhealth": {...}}, ...])`` serves a hospital
group: the simulator knows every institution's partner, and the helpers take ``org_code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.runtime.sharing import GdHealthServices, build_gdhealth_services, viewer_url
from hisbridge.settings import Settings
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.sharing.consent.model import EncounterRef, EncounterType, PatientIdentity
from hisbridge.simulators.gdhealth.app import SIM_ORG_NAME, create_gdhealth_sim_app
from hisbridge.simulators.gdhealth.platform import SimPlatform
from hisbridge.simulators.gdhealth.residents import Resident
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade

__all__ = ["GdHealthRig", "build_rig", "demo_encounter"]

GATEWAY = "http://gateway.test"
SIM = "http://gdhealth.test"
RIG_TOKEN = "rig-push-token"  # the HIS-side bearer token of the rig's gateway (push.token)


@dataclass(slots=True)
class GdHealthRig:
    settings: Settings
    clock: Clock
    engine: Engine
    services: GdHealthServices
    gateway_app: FastAPI
    sim_app: FastAPI
    gateway: httpx.AsyncClient
    sim: httpx.AsyncClient

    @property
    def platform(self) -> SimPlatform:
        return self.sim_app.state.platform  # type: ignore[no-any-return]

    def resident(self, index: int = 0) -> Resident:
        return self.platform.residents[index]

    def url(
        self,
        patient_id: str,
        encounter_type: str,
        encounter_id: str,
        *,
        user_id: str = "D0001",
        user_name: str = "张医生",
        dept_code: str = "0301",
        base: str = GATEWAY,
        org_code: str | None = None,
    ) -> str:
        return viewer_url(
            self.settings,
            base,
            patient_id=patient_id,
            encounter_type=encounter_type,
            encounter_id=encounter_id,
            user_id=user_id,
            user_name=user_name,
            dept_code=dept_code,
            now=self.clock.now(),
            org_code=org_code,
        )

    async def register(self, patient_id: str = "P1", encounter_id: str = "MZ1", *, index: int = 0,
                       dept_code: str = "0301", visit_date: str = "2026-03-02",
                       org_code: str | None = None) -> httpx.Response:
        """The HIS registers an outpatient visit of resident ``index`` (``/api/v1/encounters``)."""
        person = self.resident(index)
        return await self.gateway.post("/api/v1/encounters", json={
            "event": "REGISTERED",
            "orgCode": org_code,
            "patient": {"hisPatientId": patient_id, "idNo": person.id_no, "name": person.name},
            "encounter": {"type": "outpatient", "id": encounter_id, "visitDate": visit_date,
                          "deptCode": dept_code},
        })

    async def apply(
        self, channel: str, *, index: int = 0, encounter_id: str = "MZ1", visit_date: str = "2026-03-02",
        org_code: str | None = None,
    ) -> dict[str, Any]:
        """The HIS asks for an outpatient authorization of resident ``index`` (patient ``P{index+1}``)."""
        person = self.resident(index)
        body = {
            "orgCode": org_code,
            "patient": {"hisPatientId": f"P{index + 1}", "idNo": person.id_no, "name": person.name},
            "channel": channel,
            "operator": {"userId": "D0001", "name": "张医生", "deptCode": "0301"},
            "encounter": {"type": "outpatient", "id": encounter_id, "visitDate": visit_date},
        }
        reply = await self.gateway.post("/api/v1/consents", json=body)
        return reply.json()  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        await self.gateway.aclose()
        await self.sim.aclose()
        await self.services.aclose()
        await self.sim_app.state.sim.http.aclose()
        self.engine.dispose()


def build_rig(
    store_url: str,
    *,
    clock: Clock = system_clock,
    seed: int = 7,
    residents: int = 6,
    institutions: list[dict[str, Any]] | None = None,
    **gdhealth: Any,
) -> GdHealthRig:
    """Migrate ``store_url``, build the simulator and the gateway wired to each other
    (``institutions``: the ``institutions`` setting of a hospital group)."""
    from hisbridge.testing.secrets import TEST_SECRETS
    from hisbridge.web.app import create_app

    settings = Settings(
        push={"token": RIG_TOKEN},
        web=TEST_SECRETS["web"],
        gdhealth=GdHealthSettings(
            **{
                **TEST_SECRETS["gdhealth"],
                "base_url": SIM,
                "callback_url": f"{GATEWAY}/api/v1/consents/callback",
                "org_name": SIM_ORG_NAME,
                **gdhealth,
            }
        ),
        institutions=institutions or [],
    )
    engine = make_engine(store_url)
    upgrade(engine)
    gateway_transport = _LateTransport()
    sim_app = create_gdhealth_sim_app(
        settings.gdhealth,
        clock=clock,
        seed=seed,
        residents=residents,
        callback_transport=gateway_transport,
        partners=tuple(i.gdhealth for i in settings.institution_list()),
    )
    services = build_gdhealth_services(settings, engine, clock, transport=httpx.ASGITransport(sim_app))
    gateway_app = create_app(settings, engine, clock=clock, services=services.for_app())
    gateway_transport.app = gateway_app
    return GdHealthRig(
        settings,
        clock,
        engine,
        services,
        gateway_app,
        sim_app,
        httpx.AsyncClient(transport=httpx.ASGITransport(gateway_app), base_url=GATEWAY,
                          headers={"Authorization": f"Bearer {RIG_TOKEN}"}),
        httpx.AsyncClient(transport=httpx.ASGITransport(sim_app), base_url=SIM),
    )


class _LateTransport(httpx.AsyncBaseTransport):
    """ASGI transport whose app is set after construction (the two apps point at each other)."""

    app: FastAPI | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.app is not None
        return await httpx.ASGITransport(self.app).handle_async_request(request)


def demo_encounter(
    resident: Resident, encounter_type: str, encounter_id: str, his_patient_id: str, day: date
) -> tuple[PatientIdentity, EncounterRef]:
    """The patient identity and encounter a HIS would push for ``resident``."""
    kind = EncounterType.parse(encounter_type)
    patient = PatientIdentity(his_patient_id, resident.id_no, resident.name)
    return patient, EncounterRef(kind, encounter_id, day, dept_code="0301")
