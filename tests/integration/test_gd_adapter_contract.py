"""One contract, two adapter shapes: ``JsonSignedAdapter`` over signed HTTP (SM3 and
HMAC-SHA256, renamed headers and paths) and ``InMemoryPlatform``, both on the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.connectors.gdhealth.client import JsonSignedAdapter
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.sharing.consent.model import Channel, EncounterRef, EncounterType, Operator, PatientIdentity
from hisbridge.sharing.consent.platform import ApplyRequest, IndexFilter, ProvincialPlatform
from hisbridge.sharing.consent.platform_errors import PlatformError
from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app
from hisbridge.simulators.gdhealth.inmemory import InMemoryPlatform
from hisbridge.simulators.gdhealth.platform import SimPlatform
from hisbridge.testing import TEST_SECRETS

OP = Operator("D1", "张医生", dept_code="0301")
RENAMED = {
    "sign_method": "hmac-sha256",
    "headers": {
        "partner_id": "appId",
        "timestamp": "ts",
        "nonce": "requestId",
        "signature": "sign",
        "org_code": "hospitalId",
    },
    "paths": {"apply": "/v2/auth/apply", "record_index": "/v2/doc/search"},
    "envelope": {"code": "code", "message": "msg", "data": "result", "success_code": "200"},
}


@pytest.fixture(params=["http-sm3", "http-renamed-hmac", "in-memory"])
async def contract(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[ProvincialPlatform, SimPlatform, ManualClock]]:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    settings = GdHealthSettings(**TEST_SECRETS["gdhealth"],
                                **(RENAMED if request.param == "http-renamed-hmac" else {}))
    sim_app = create_gdhealth_sim_app(settings, clock=clock, seed=3, residents=3)
    sim: SimPlatform = sim_app.state.platform
    adapter: ProvincialPlatform
    if request.param == "in-memory":
        adapter = InMemoryPlatform(sim, settings.org_code)
    else:
        adapter = JsonSignedAdapter(settings, clock=clock, transport=httpx.ASGITransport(sim_app))
    yield adapter, sim, clock
    await adapter.aclose()
    await sim_app.state.sim.http.aclose()


def _request(sim: SimPlatform, clock: ManualClock, channel: Channel) -> ApplyRequest:
    person = sim.residents[0]
    return ApplyRequest(
        PatientIdentity("P1", person.id_no, person.name),
        OP,
        EncounterRef(EncounterType.OUTPATIENT, "MZ1", clock.now().date()),
        channel,
        clock.now() + timedelta(hours=24),
        "ref-1",
    )


async def test_sms_apply_verify_index_document(
    contract: tuple[ProvincialPlatform, SimPlatform, ManualClock],
) -> None:
    adapter, sim, clock = contract
    auth = await adapter.apply(_request(sim, clock, Channel.SMS))
    assert auth.status == "PENDING" and auth.channel_info["smsSent"] is True
    with pytest.raises(PlatformError) as wrong:
        await adapter.verify_sms(auth.auth_id, "000000", OP)
    assert wrong.value.code == "3003" and wrong.value.data == {"remaining": 4}
    granted = await adapter.verify_sms(auth.auth_id, sim.sms_outbox[-1]["code"], OP)
    assert granted.status == "GRANTED" and granted.valid_to is not None
    entries = await adapter.index(auth.auth_id, OP, IndexFilter(("VACCINATION",)))
    assert [e.category for e in entries] == ["VACCINATION"]
    document = await adapter.document(auth.auth_id, entries[0].doc_id, OP)
    assert document.structured["doses"]


async def test_duplicate_revoke_and_cancel(
    contract: tuple[ProvincialPlatform, SimPlatform, ManualClock],
) -> None:
    adapter, sim, clock = contract
    auth = await adapter.apply(_request(sim, clock, Channel.APP))
    with pytest.raises(PlatformError) as duplicate:
        await adapter.apply(_request(sim, clock, Channel.APP))
    assert duplicate.value.code == "3001" and duplicate.value.data["authId"] == auth.auth_id
    sim.patient_decides(auth.auth_id, "approve")
    assert (await adapter.query(auth.auth_id)).status == "GRANTED"
    sim.patient_decides(auth.auth_id, "revoke")
    with pytest.raises(PlatformError) as revoked:
        await adapter.index(auth.auth_id, OP, IndexFilter())
    assert revoked.value.code == "3007"
    other = await adapter.apply(_request(sim, clock, Channel.SMS))
    assert (await adapter.cancel(other.auth_id, "OTHER", OP)).status == "CANCELLED"


async def test_redeem_code(contract: tuple[ProvincialPlatform, SimPlatform, ManualClock]) -> None:
    adapter, sim, _ = contract
    person = sim.residents[1]
    code = sim.issue_code(person.person_key)["authCode"]
    patient = PatientIdentity("P2", person.id_no, person.name)
    encounter = EncounterRef(EncounterType.EMERGENCY, "JZ1")
    granted = await adapter.redeem_code(code, patient, OP, encounter)
    assert granted.status == "GRANTED" and granted.channel == "AUTH_CODE"
    with pytest.raises(PlatformError) as used:
        await adapter.redeem_code(code, patient, OP, EncounterRef(EncounterType.EMERGENCY, "J2"))
    assert used.value.code == "3005"


async def test_resolve_person(contract: tuple[ProvincialPlatform, SimPlatform, ManualClock]) -> None:
    adapter, sim, _ = contract
    first, last = sim.residents[0], sim.residents[-1]
    info = await adapter.resolve_person(PatientIdentity("P1", first.id_no, first.name))
    assert info.has_app and info.has_phone and "****" in (info.phone_masked or "")
    bare = await adapter.resolve_person(PatientIdentity("P3", last.id_no, last.name))
    assert not bare.has_app and not bare.has_phone
    with pytest.raises(PlatformError) as mismatch:
        await adapter.resolve_person(PatientIdentity("P1", first.id_no, "另一个人"))
    assert mismatch.value.code == "2002"
