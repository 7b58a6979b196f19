"""Guangdong sharing for a hospital group: two institutions on one gateway (issue 21, item 5).

Each institution signs with its own partner credentials; a grant made to one is never usable
by the other (API and viewer), and the refusal is audited; callbacks reach the institution
whose partner they name; HIS calls must name a known institution.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from hisbridge import _json
from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.audit.log import AuditLog
from hisbridge.connectors.gdhealth.client import signed_headers
from hisbridge.settings.secrets import new_secret
from hisbridge.store.schema.consent import gd_consent, gd_encounter
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig

pytestmark = pytest.mark.services  # SQLite and PostgreSQL
WHO = {"userId": "D0001", "userName": "张医生", "deptCode": "0301"}


def _partner(org: str, name: str) -> dict[str, Any]:
    secrets = {key: new_secret(f"gdhealth.{key}") for key in ("partner_secret", "callback_secret", "sm4_key")}
    return {"org_code": org, "name": name,
            "gdhealth": {"partner_id": f"P-{org}", "org_name": name, **secrets}}


GROUP = [_partner("H01", "县人民医院"), _partner("T01", "甲镇卫生院")]


@pytest.fixture
async def rig(store_url: str) -> AsyncIterator[GdHealthRig]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    built = build_rig(store_url, clock=clock, institutions=GROUP)
    yield built
    await built.aclose()


async def granted(rig: GdHealthRig, org: str, *, index: int = 0, encounter_id: str = "MZ1") -> dict[str, Any]:
    consent = await rig.apply("APP", index=index, encounter_id=encounter_id, org_code=org)
    assert consent["status"] == "PENDING" and consent["orgCode"] == org, consent
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")  # the platform's callback, signed for ``org``'s partner
    return consent


def audit_entries(rig: GdHealthRig, action: str) -> list[dict[str, Any]]:
    log = AuditLog(rig.engine)
    return [{"outcome": e.outcome, **_json.loads(e.detail)} for e in log.entries() if e.action == action]


async def test_each_institution_signs_with_its_own_partner_and_keeps_its_rows(rig: GdHealthRig) -> None:
    h01 = await granted(rig, "H01", index=0, encounter_id="MZ1")
    t01 = await granted(rig, "T01", index=1, encounter_id="MZ2")
    calls = rig.sim_app.state.sim.partner_calls
    assert {(c["partnerId"], c["org"]) for c in calls} == {("P-H01", "H01"), ("P-T01", "T01")}
    assert all(c["code"] is None for c in calls)  # every request verified with its partner's secret
    with rig.engine.connect() as conn:
        consents = dict(conn.execute(select(gd_consent.c.id, gd_consent.c.org_code)).all())
        encounters = dict(conn.execute(select(gd_encounter.c.encounter_id, gd_encounter.c.org_code)).all())
    assert consents == {h01["id"]: "H01", t01["id"]: "T01"}
    assert encounters == {"MZ1": "H01", "MZ2": "T01"}
    # The callbacks were checked with each institution's own callback secret and acted on.
    assert all(item["delivered"] for item in rig.platform.callbacks)
    for org, consent in (("H01", h01), ("T01", t01)):
        stored = rig.services.group.pick(org).consents.repo.get(consent["id"])
        assert stored is not None and stored.status == "GRANTED"
    requested = audit_entries(rig, "CONSENT_REQUESTED")
    assert [e["orgCode"] for e in requested] == ["H01", "T01"]


async def test_a_grant_made_at_one_institution_is_refused_to_the_other_over_the_api(rig: GdHealthRig) -> None:
    consent = await granted(rig, "H01")
    url = f"/api/v1/shared/{consent['id']}/index"
    assert (await rig.gateway.get(url, params={**WHO, "orgCode": "H01"})).status_code == 200
    refused = await rig.gateway.get(url, params={**WHO, "orgCode": "T01"})
    assert refused.status_code == 403 and refused.json()["code"] == "OTHER_INSTITUTION"
    assert "其他机构" in refused.json()["error"] and "another institution" in refused.json()["error"]
    doc = await rig.gateway.get(f"/api/v1/shared/{consent['id']}/documents/any",
                                params={**WHO, "orgCode": "T01"})
    assert doc.status_code == 403
    shown = await rig.gateway.get(f"/api/v1/consents/{consent['id']}", params={"orgCode": "T01"})
    assert shown.status_code == 403
    cancel = await rig.gateway.post(f"/api/v1/consents/{consent['id']}/cancel",
                                    json={"orgCode": "T01", "operator": {"userId": "D9"}})
    assert cancel.status_code == 403
    assert (await rig.gateway.get(f"/api/v1/consents/{consent['id']}", params={"orgCode": "H01"})
            ).json()["status"] == "GRANTED"  # untouched by the other institution's attempts
    refusals = [e for e in audit_entries(rig, "RECORD_INDEX") if e["outcome"] != "ok"]
    assert refusals == [{"outcome": "refused:OTHER_INSTITUTION", "orgCode": "T01", "grantedTo": "H01",
                         "status": "GRANTED"}]


async def test_a_grant_made_at_one_institution_is_not_shown_in_the_others_viewer(rig: GdHealthRig) -> None:
    await granted(rig, "H01")
    own = rig.url("P1", "OUTPATIENT", "MZ1", org_code="H01").removeprefix("http://gateway.test")
    other = rig.url("P1", "OUTPATIENT", "MZ1", org_code="T01").removeprefix("http://gateway.test")
    mine = (await rig.gateway.get(own.replace("/ws/shared?", "/ws/shared/api/state?"))).json()
    theirs = (await rig.gateway.get(other.replace("/ws/shared?", "/ws/shared/api/state?"))).json()
    assert mine["consent"]["status"] == "GRANTED" and mine["encounterKnown"]
    assert theirs["consent"] is None and not theirs["encounterKnown"]
    assert (await rig.gateway.get(own.replace("/ws/shared?", "/ws/shared/api/timeline?"))).status_code == 200
    timeline = await rig.gateway.get(other.replace("/ws/shared?", "/ws/shared/api/timeline?"))
    assert timeline.status_code == 403
    applied = await rig.gateway.post(other.replace("/ws/shared?", "/ws/shared/api/apply?"), json={})
    assert applied.status_code == 404  # the other institution does not know the visit


async def test_the_institution_is_required_and_checked_on_every_his_call(rig: GdHealthRig) -> None:
    missing = await rig.register("P1", "MZ1")
    assert missing.status_code == 400 and missing.json()["code"] == "ORG_REQUIRED"
    assert "orgCode is required" in missing.json()["error"] and missing.json()["orgCodes"] == ["H01", "T01"]
    unknown = await rig.register("P1", "MZ1", org_code="X99")
    assert unknown.status_code == 400 and "X99" in unknown.json()["error"]
    assert "不是本网关服务的机构" in unknown.json()["error"]
    booking = await rig.gateway.post("/api/v1/bookings", json={"bookingId": "B1", "orgCode": "X99"})
    assert booking.status_code == 400
    viewer = rig.url("P1", "OUTPATIENT", "MZ1", org_code="X99").removeprefix("http://gateway.test")
    assert (await rig.gateway.get(viewer)).status_code == 400
    assert (await rig.register("P1", "MZ1", org_code="H01")).status_code == 202
    taken = await rig.register("P1", "MZ1", org_code="T01")  # a visit belongs to one institution
    assert taken.status_code == 409 and taken.json()["code"] == "OTHER_INSTITUTION"


async def test_one_institutions_failing_refresh_does_not_stop_the_others(rig: GdHealthRig) -> None:
    h01 = await rig.apply("APP", index=0, encounter_id="MZ1", org_code="H01")
    t01 = await rig.apply("APP", index=1, encounter_id="MZ2", org_code="T01")
    rig.platform.patient_decides(h01["authId"], "approve")
    rig.platform.patient_decides(t01["authId"], "approve")  # callbacks not delivered: polling
    group = rig.services.group
    broken = group.pick("H01").consents

    async def refused() -> int:
        raise RuntimeError("H01's partner is refused")

    broken.refresh_open = refused  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="H01"):
        await group.refresh_open()
    stored = group.pick("T01").consents.repo.get(t01["id"])
    assert stored is not None and stored.status == "GRANTED"


async def test_visit_records_reach_the_institution_they_carry(rig: GdHealthRig) -> None:
    def visit(serial: str, org: str) -> dict[str, Any]:
        person = rig.resident(0)
        return {"serial_number": serial, "id_card": person.id_no, "patient_id": "P1",
                "patient_name": person.name, "activity_type_code": "1",
                "activity_time": "2026-03-02 08:00:00", "dept_code": "0301", "org_code": org}

    group = rig.services.group
    acted = await group.observe("emr_activity_info", [visit("MZ7", "T01"), visit("MZ8", "X99")])
    assert acted == 1  # the record of an institution the gateway does not serve is left alone
    assert group.pick("T01").consents.repo.encounter("OUTPATIENT", "MZ7") is not None
    assert group.pick("H01").consents.repo.encounter("OUTPATIENT", "MZ7") is None
    assert group.pick("H01").consents.repo.encounter("OUTPATIENT", "MZ8") is None


async def test_a_callback_is_checked_with_the_secret_of_the_partner_it_names(rig: GdHealthRig) -> None:
    consent = await rig.apply("APP", index=1, encounter_id="MZ2", org_code="T01")
    rig.platform.patient_decides(consent["authId"], "approve")
    h01, t01 = (i.gdhealth for i in rig.settings.institution_list())
    body = _json.dumps({"authId": consent["authId"], "status": "GRANTED",
                        "occurredAt": rig.clock.now().isoformat()})
    now_ms = int(rig.clock.now().timestamp() * 1000)
    forged = signed_headers(t01, body, now_ms, "n-1", secret=h01.callback_secret.get_secret_value())
    refused = await rig.gateway.post("/api/v1/consents/callback", content=body, headers=forged)
    assert refused.status_code == 401  # T01's partner id with H01's secret
    right = signed_headers(t01, body, now_ms, "n-2", secret=t01.callback_secret.get_secret_value())
    taken = await rig.gateway.post("/api/v1/consents/callback", content=body, headers=right)
    assert taken.status_code == 200 and taken.json()["known"] is True
    stored = rig.services.group.pick("T01").consents.repo.get(consent["id"])
    assert stored is not None and stored.status == "GRANTED"
