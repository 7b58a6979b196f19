"""The consent store on PostgreSQL: the APP flow, one open consent per encounter, windows."""

from __future__ import annotations

from datetime import datetime

import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.testing.gdhealth_rig import build_rig

pytestmark = pytest.mark.services
OPERATOR = {"userId": "D0001", "name": "张医生", "deptCode": "0301"}


async def test_app_flow_on_postgres(pg_url: str) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 23, 30, tzinfo=CHINA_TZ))
    rig = build_rig(pg_url, clock=clock)
    try:
        person = rig.resident(0)
        body = {
            "patient": {"hisPatientId": "P1", "idNo": person.id_no, "name": person.name},
            "channel": "APP",
            "operator": OPERATOR,
            "encounter": {"type": "emergency", "id": "JZ1", "visitDate": "2026-03-02"},
        }
        first = (await rig.gateway.post("/api/v1/consents", json=body)).json()
        again = await rig.gateway.post("/api/v1/consents", json={**body, "channel": "SMS"})
        assert again.status_code == 200 and again.json()["id"] == first["id"]
        rig.platform.patient_decides(first["authId"], "approve")
        await rig.sim.post("/sim/tick")
        granted = (await rig.gateway.get(f"/api/v1/consents/{first['id']}")).json()
        assert granted["status"] == "GRANTED"
        assert granted["validTo"] == "2026-03-03T23:30:00+08:00"  # times survive PostgreSQL
        items = await rig.gateway.get(f"/api/v1/shared/{first['id']}/index", params={"userId": "D0001"})
        assert items.status_code == 200 and items.json()["total"] > 10
        rig.platform.patient_decides(first["authId"], "revoke")
        refused = await rig.gateway.get(f"/api/v1/shared/{first['id']}/index", params={"userId": "D0001"})
        assert refused.status_code == 403
        assert rig.services.audit.log.verify()[1] is None
    finally:
        await rig.aclose()
