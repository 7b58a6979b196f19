"""Demo helpers: a demo patient's encounter pushed to the gateway and a signed viewer URL.

``hisbridge demo`` calls ``demo_viewer_url`` once both apps are up; the URL opens the doctor's
viewer for an outpatient visit of the simulator's first resident (who has a phone on file and a
粤健通 account, so every channel works).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from hisbridge._clock import Clock
from hisbridge.runtime.sharing import GdHealthServices, viewer_url
from hisbridge.settings import Settings
from hisbridge.sharing.consent.model import EncounterRef, EncounterType, PatientIdentity

__all__ = ["DEMO_ENCOUNTER", "DEMO_PATIENT", "demo_viewer_url"]

DEMO_PATIENT = "DEMO-P0001"
DEMO_ENCOUNTER = "MZ-DEMO-0001"


async def demo_viewer_url(
    services: GdHealthServices,
    sim_app: FastAPI,
    settings: Settings,
    base_url: str,
    clock: Clock,
    *,
    inpatient: bool = False,
) -> str:
    """Register the demo visit with the consent service and return its signed viewer URL."""
    person = sim_app.state.platform.residents[0]
    patient = PatientIdentity(DEMO_PATIENT, person.id_no, person.name)
    now = clock.now()
    kind = EncounterType.INPATIENT if inpatient else EncounterType.OUTPATIENT
    encounter_id = "ZY-DEMO-0001" if inpatient else DEMO_ENCOUNTER
    admitted = now - timedelta(hours=2) if inpatient else None
    ref = EncounterRef(kind, encounter_id, now.date(), admitted_at=admitted, dept_code="0301")
    await services.encounter_hooks.opened(patient, ref)
    return viewer_url(
        settings,
        base_url,
        patient_id=DEMO_PATIENT,
        encounter_type=kind.value,
        encounter_id=encounter_id,
        user_id="D0001",
        user_name="演示医生",
        dept_code="0301",
        now=now,
    )
