"""The simulator itself: refuses unsigned, stale and replayed calls; seeded, complete content."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from hisbridge import _json
from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.connectors.gdhealth.client import signed_headers
from hisbridge.dictionary.idcard import parse_id_card
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app
from hisbridge.simulators.gdhealth.content import CATEGORY_OF
from hisbridge.testing import TEST_SECRETS

SETTINGS = GdHealthSettings(**TEST_SECRETS["gdhealth"])
CLOCK = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
NOW_MS = int(CLOCK.now().timestamp() * 1000)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_gdhealth_sim_app(SETTINGS, clock=CLOCK, seed=5, residents=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sim") as c:
        yield c
    await app.state.sim.http.aclose()


def _query_body() -> bytes:
    return _json.dumps({"data": {"authId": "GDA-NONE"}})


@pytest.mark.parametrize(
    ("stamp", "nonce", "secret", "code"),
    [
        (NOW_MS, "a", "wrong", "1001"),
        (NOW_MS - 20 * 60 * 1000, "b", None, "1002"),
    ],
)
async def test_bad_signatures_refused(client: httpx.AsyncClient, stamp: int, nonce: str,
                                      secret: str | None, code: str) -> None:
    body = _query_body()
    headers = signed_headers(SETTINGS, body, stamp, nonce, secret=secret)
    reply = await client.post("/authorization/query", content=body, headers=headers)
    assert reply.status_code == 401 and reply.json()["resultCode"] == code
    assert (await client.get("/sim/refused")).json()[-1]["code"] == code


async def test_replay_and_unsigned_refused(client: httpx.AsyncClient) -> None:
    body = _query_body()
    headers = signed_headers(SETTINGS, body, NOW_MS, "same-nonce")
    first = await client.post("/authorization/query", content=body, headers=headers)
    assert first.status_code == 200 and first.json()["resultCode"] == "4001"
    replay = await client.post("/authorization/query", content=body, headers=headers)
    assert replay.json()["resultCode"] == "1003"
    bare = await client.post("/authorization/query", content=body)
    assert bare.json()["resultCode"] == "1001"
    junk = b"not json"
    malformed = await client.post("/authorization/query", content=junk,
                                  headers=signed_headers(SETTINGS, junk, NOW_MS, "n2"))
    assert malformed.status_code == 400 and malformed.json()["resultCode"] == "5000"


async def test_residents_are_valid_and_content_complete(client: httpx.AsyncClient) -> None:
    residents = (await client.get("/sim/residents")).json()
    assert len(residents) == 3 and residents[-1]["phone"] is None
    for person in residents:
        assert not isinstance(parse_id_card(person["idNo"]), str)
        assert person["ehcCode"].startswith("EHC") and person["documents"] >= 12
    app = create_gdhealth_sim_app(SETTINGS, clock=CLOCK, seed=5, residents=3)
    again = app.state.platform
    assert [r.id_no for r in again.residents] == [r["idNo"] for r in residents]  # seeded
    for docs in again.documents.values():
        assert {d.record_type for d in docs} == set(CATEGORY_OF)
    await app.state.sim.http.aclose()


async def test_patient_actions_through_sim_endpoints(client: httpx.AsyncClient) -> None:
    missing = await client.post("/sim/authorizations/GDA-NONE/approve")
    assert missing.status_code == 409
    wrong = await client.post("/sim/authorizations/GDA-NONE/shrug")
    assert wrong.status_code == 404
    assert (await client.get("/sim/sms", params={"authId": "x"})).status_code == 404
    unknown = await client.post("/sim/auth-codes", json={"idNo": "110101199003076634"})
    assert unknown.status_code == 404
