"""The simulators stay bounded when left running: each log and table they keep in memory or
grow on every request is capped (the newest kept), and the inspection lists are pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.simulators.frontend import ClientSimConfig, FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.client import ClientState
from hisbridge.simulators.frontend.inspection import MAX_LIMIT
from hisbridge.simulators.frontend.secret_keys import SecretKeys
from hisbridge.simulators.gdhealth.platform import Recent, SimPlatform

KEEP = 5


@pytest.fixture
async def frontend() -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_frontend_app(FrontendSimConfig(request_log_keep=KEEP), clock=ManualClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://frontend") as client:
        yield app, client
    app.sim.close()


async def test_request_log_keeps_the_newest(frontend: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = frontend
    for i in range(3 * KEEP):
        await client.post("/hclient/emr/receive/baseUser", json={"id": f"u{i}"})
    log = (await client.get("/sim/requests?limit=100")).json()
    assert [e["body"]["id"] for e in log] == [f"u{i}" for i in range(2 * KEEP, 3 * KEEP)]
    stored = app.sim.store.query("SELECT COUNT(*) AS n FROM sim_request")[0]["n"]
    assert stored == KEEP
    first = (await client.get("/sim/requests?after=0&limit=2")).json()
    assert [e["seq"] for e in first] == [11, 12]
    after = (await client.get(f"/sim/requests?after={first[-1]['seq']}&limit=100")).json()
    assert [e["seq"] for e in after] == [13, 14, 15]


def _message(seq: int, kind: str) -> dict[str, Any]:
    return {"msg_id": f"m{seq}", "type": kind, "level": "1", "title": "t", "content": "c",
            "patient_id": "p", "serial_number": "", "org_code": "o", "dept_code": "d",
            "user_id": "u", "create_time": "2026-03-02 09:00:00", "dedupe_key": f"k{seq}"}


async def test_messages_are_paged_and_summarised(frontend: tuple[Any, httpx.AsyncClient]) -> None:
    app, client = frontend
    for seq in range(1, 8):
        app.sim.store.add_message(_message(seq, "A" if seq % 2 else "B"))
    newest = (await client.get("/sim/messages?limit=2")).json()
    assert [m["seq"] for m in newest] == [6, 7]
    pages, after = [], 0
    while page := (await client.get(f"/sim/messages?after={after}&limit=3")).json():
        pages.append([m["seq"] for m in page])
        after = page[-1]["seq"]
    assert pages == [[1, 2, 3], [4, 5, 6], [7]]
    assert (await client.get("/sim/messages/summary")).json() == {"A": 4, "B": 3}
    for bad in ("limit=0", f"limit={MAX_LIMIT + 1}", "after=-1", "limit=x"):
        assert (await client.get(f"/sim/messages?{bad}")).status_code == 400


def test_secret_keys_keep_the_newest() -> None:
    clock = ManualClock()
    keys = SecretKeys(clock, 3600, ("L",), keep=3)
    issued = [keys.issue("L") for _ in range(7)]
    held = [k for k in issued if k is not None and keys.check(k.key) is not None]
    assert held == issued[-3:]
    clock.advance(3601)  # expired ones go first when the next is issued
    assert keys.issue("L") is not None
    assert sum(keys.check(k.key) is not None for k in issued if k is not None) == 0


async def test_client_sessions_keep_the_newest() -> None:
    clock = ManualClock()
    state = ClientState(ClientSimConfig(sessions_keep=3, session_ttl_s=60), clock, None)
    try:
        tokens = [state.open_session({"userId": f"D{i}"}) for i in range(6)]
        assert list(state.sessions) == tokens[-3:]
        clock.advance(61)
        state.open_session({"userId": "late"})
        assert len(state.sessions) == 1
    finally:
        await state.http.aclose()


def test_recent_keeps_the_newest() -> None:
    recent = Recent(3)
    for i in range(10):
        recent.append({"n": i})
    assert recent == [{"n": 7}, {"n": 8}, {"n": 9}]


def test_provincial_platform_forgets_ended_requests_beyond_history() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    sim = SimPlatform(clock=clock, seed=1, residents=3, own_org=("ORG1", "示例医院"), history=4)
    person = next(r for r in sim.residents if r.phone)
    made = []
    for i in range(10):
        data = {"patient": {"ehcCode": person.ehc_code}, "channel": "SMS",
                "encounter": {"encounterType": "OUTPATIENT", "encounterId": f"MZ{i}"}}
        auth = sim.apply("ORG1", data, person.id_no, person.name)
        made.append(auth.auth_id)
        if i < 9:
            sim.cancel("ORG1", auth.auth_id, "OTHER")  # ended; the last one stays open
    sim.sweep()
    assert list(sim.auths) == made[-4:]
    assert sim.auths[made[-1]].status == "PENDING"
    assert [m["authId"] for m in sim.sms_outbox] == made[-4:]
