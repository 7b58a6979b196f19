"""Visit records seen by intake must not stall the event loop (found by the live large-day
bench: with the sharing hooks on, each registration was written to the store on the event loop
and delivery stalled for 70 s). The store writes of ``EncounterHooks.observe`` run in a worker
thread, a batch at a time."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    built = build_rig(f"sqlite:///{tmp_path / 'gw.db'}",
                      clock=ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)))
    yield built
    await built.aclose()


async def test_registrations_are_noted_off_the_event_loop(rig: GdHealthRig) -> None:
    person = rig.resident(0)
    visits = [{"serial_number": f"MZ{n}", "id_card": person.id_no, "patient_id": "P1",
               "patient_name": person.name, "activity_type_code": "1",
               "activity_time": "2026-03-02 08:00:00", "dept_code": "0301"} for n in range(20)]
    consents = rig.services.consents
    loop_thread = threading.get_ident()
    seen: list[int] = []
    noted = consents.note_encounter

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.get_ident())
        return noted(*args, **kwargs)

    consents.note_encounter = spy  # type: ignore[method-assign]
    assert await rig.services.encounter_hooks.observe("emr_activity_info", visits) == 20
    assert len(seen) == 20 and loop_thread not in seen
    assert consents.repo.encounter("OUTPATIENT", "MZ19") is not None
