"""A callback the platform delivers several times changes state once and is audited once;
each repeat is recorded as CALLBACK_REPLAYED and the hash chain stays valid (SQLite, PostgreSQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from hisbridge import _json
from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.connectors.gdhealth.client import signed_headers
from hisbridge.sharing.consent.platform_errors import PlatformUnavailable
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig

pytestmark = pytest.mark.services


@pytest.fixture
async def rig(store_url: str) -> AsyncIterator[GdHealthRig]:
    built = build_rig(store_url, clock=ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)))
    yield built
    await built.aclose()


class SlowQueries:
    """Wraps the platform's ``query``: counts calls and yields to the loop, as real HTTP does,
    so that overlapping deliveries really overlap."""

    def __init__(self, rig: GdHealthRig, *, fail_first: bool = False) -> None:
        self.platform = rig.services.consents.platform
        self.inner = self.platform.query
        self.calls, self.fail_first = 0, fail_first
        self.platform.query = self  # type: ignore[method-assign]

    async def __call__(self, auth_id: str) -> Any:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.fail_first and self.calls == 1:
            raise PlatformUnavailable("query: ConnectError")
        return await self.inner(auth_id)


async def _pending_app(rig: GdHealthRig) -> dict[str, str]:
    consent = await rig.apply("APP")
    rig.platform.auths[consent["authId"]].callback_url = None  # the test is the platform's sender
    return consent


async def _deliver(rig: GdHealthRig, auth_id: str, status: str, nonce: str) -> Any:
    """One delivery of the same callback (a retry carries a new nonce and timestamp)."""
    payload = {"event": "AUTHORIZATION_STATUS_CHANGED", "authId": auth_id, "status": status,
               "occurredAt": "2026-03-02T09:00:00+08:00", "reason": "PATIENT"}
    body = _json.dumps(payload)
    secret = rig.settings.gdhealth.callback_secret.get_secret_value()
    now_ms = int(rig.clock.now().timestamp() * 1000)
    headers = signed_headers(rig.settings.gdhealth, body, now_ms, nonce, secret=secret)
    return await rig.gateway.post("/api/v1/consents/callback", content=body, headers=headers)


def _actions(rig: GdHealthRig) -> list[str]:
    return [e.action for e in rig.services.audit.log.entries()]


async def test_five_deliveries_change_state_once(rig: GdHealthRig) -> None:
    consent = await _pending_app(rig)
    rig.platform.patient_decides(consent["authId"], "approve")
    queries = SlowQueries(rig)
    replies = [await _deliver(rig, consent["authId"], "GRANTED", f"n{i}") for i in range(5)]
    assert [r.status_code for r in replies] == [200] * 5
    assert [r.json()["duplicate"] for r in replies] == [False, True, True, True, True]
    assert queries.calls == 1  # repeats never reach the platform
    actions = _actions(rig)
    assert actions.count("CONSENT_GRANTED") == 1
    assert actions.count("CALLBACK_REPLAYED") == 4
    replayed = [e for e in rig.services.audit.log.entries() if e.action == "CALLBACK_REPLAYED"]
    assert [_json.loads(e.detail)["deliveries"] for e in replayed] == [2, 3, 4, 5]
    assert all(e.consent_id == consent["id"] for e in replayed)
    assert rig.services.audit.log.verify() == (len(actions), None)


@pytest.mark.parametrize("decision", ["approve", "revoke"])
async def test_overlapping_deliveries_write_one_state_entry(rig: GdHealthRig, decision: str) -> None:
    consent = await _pending_app(rig)
    rig.platform.patient_decides(consent["authId"], "approve")
    status = "GRANTED"
    if decision == "revoke":
        await rig.gateway.get(f"/api/v1/consents/{consent['id']}")  # the gateway knows the grant
        rig.platform.patient_decides(consent["authId"], "revoke")
        status = "REVOKED"
    SlowQueries(rig)
    replies = await asyncio.gather(
        *(_deliver(rig, consent["authId"], status, f"n{i}") for i in range(5))
    )
    assert [r.status_code for r in replies] == [200] * 5
    actions = _actions(rig)
    assert actions.count(f"CONSENT_{status}") == 1, actions
    assert actions.count("CALLBACK_REPLAYED") == 4
    stored = rig.services.consents.repo.get(consent["id"])
    assert stored is not None and stored.status == status
    assert rig.services.audit.log.verify()[1] is None


async def test_delivery_not_acted_on_is_handled_on_retry(rig: GdHealthRig) -> None:
    consent = await _pending_app(rig)
    rig.platform.patient_decides(consent["authId"], "approve")
    SlowQueries(rig, fail_first=True)
    first = await _deliver(rig, consent["authId"], "GRANTED", "n1")
    assert first.status_code == 503  # the platform will retry
    again = await _deliver(rig, consent["authId"], "GRANTED", "n2")
    assert again.status_code == 200 and again.json()["duplicate"] is False
    assert _actions(rig).count("CONSENT_GRANTED") == 1
    assert "CALLBACK_REPLAYED" not in _actions(rig)


async def test_a_new_status_is_not_a_replay(rig: GdHealthRig) -> None:
    consent = await _pending_app(rig)
    rig.platform.patient_decides(consent["authId"], "approve")
    assert (await _deliver(rig, consent["authId"], "GRANTED", "a")).json()["duplicate"] is False
    rig.platform.patient_decides(consent["authId"], "revoke")
    assert (await _deliver(rig, consent["authId"], "REVOKED", "b")).json()["duplicate"] is False
    actions = _actions(rig)
    assert actions.count("CONSENT_GRANTED") == 1 and actions.count("CONSENT_REVOKED") == 1
    assert "CALLBACK_REPLAYED" not in actions


async def test_same_nonce_is_still_refused_as_replay(rig: GdHealthRig) -> None:
    consent = await _pending_app(rig)
    rig.platform.patient_decides(consent["authId"], "approve")
    await _deliver(rig, consent["authId"], "GRANTED", "same")
    again = await _deliver(rig, consent["authId"], "GRANTED", "same")
    assert again.status_code == 401 and again.json()["resultCode"] == "1003"
    assert _actions(rig).count("CALLBACK_REFUSED") == 1
