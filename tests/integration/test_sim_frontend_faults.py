"""Seeded fault injection: repeatable error sequences, outages that recover, dropped
connections and late replies; in-process and, for the connection-level faults, on a real port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from hisbridge._clock import ManualClock
from hisbridge.simulators.frontend import create_frontend_app
from hisbridge.simulators.frontend.app import FrontendApp
from hisbridge.testing import serve_app

PATH = "/hclient/emr/receive/emrPatientInfo"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def sim(clock: ManualClock) -> AsyncIterator[tuple[FrontendApp, httpx.AsyncClient]]:
    app = create_frontend_app(clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://frontend") as client:
        yield app, client
    app.sim.close()


async def _faults(client: httpx.AsyncClient, **settings: Any) -> dict[str, Any]:
    response = await client.post("/sim/faults", json=settings)
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


async def _outcomes(client: httpx.AsyncClient, n: int) -> list[str]:
    out = []
    for i in range(n):
        reply = (await client.post(PATH, json={"id": f"p{i}"})).json()
        out.append("ok" if reply["result"] else reply["errorCode"])
    return out


async def test_error_rate_with_a_seed_repeats_exactly(
    sim: tuple[FrontendApp, httpx.AsyncClient],
) -> None:
    _, client = sim
    await _faults(client, error_rate=0.3, error_code="01", seed=42)
    first = await _outcomes(client, 60)
    await _faults(client, error_rate=0.3, error_code="01", seed=42)
    second = await _outcomes(client, 60)
    assert first == second
    assert 5 <= first.count("01") <= 35 and "ok" in first
    await _faults(client, error_rate=0.3, error_code="01", seed=7)
    assert await _outcomes(client, 60) != first


async def test_faulted_records_are_not_stored(sim: tuple[FrontendApp, httpx.AsyncClient]) -> None:
    _, client = sim
    await _faults(client, error_rate=1.0, error_code="99", http_status=500)
    response = await client.post(PATH, json={"id": "lost"})
    assert response.status_code == 500
    assert response.json()["errorCode"] == "99" and response.json()["errorName"] == "系统异常"
    assert (await client.get("/sim/tables/emr_patient_info/lost")).status_code == 404


async def test_outage_refuses_then_recovers(
    sim: tuple[FrontendApp, httpx.AsyncClient], clock: ManualClock
) -> None:
    _, client = sim
    settings = await _faults(client, outage_seconds=30)
    assert settings["outage_remaining_s"] == 30
    refused = await client.post(PATH, json={"id": "p1"})
    assert refused.status_code == 503 and refused.json()["result"] is False
    clock.advance(29)
    assert (await client.post(PATH, json={"id": "p1"})).status_code == 503
    clock.advance(1)
    recovered = await client.post(PATH, json={"id": "p1"})
    assert recovered.status_code == 200 and recovered.json()["result"] is True
    assert (await client.get("/sim/tables")).json()["emr_patient_info"] == 1


async def test_dropped_connection_in_process_is_a_transport_error(
    sim: tuple[FrontendApp, httpx.AsyncClient],
) -> None:
    _, client = sim
    await _faults(client, drop_connection_rate=1.0)
    with pytest.raises(httpx.TransportError):
        await client.post(PATH, json={"id": "p1"})
    await _faults(client)
    assert (await client.post(PATH, json={"id": "p1"})).json()["result"] is True


async def test_timeout_holds_the_reply_but_stores_the_record(
    sim: tuple[FrontendApp, httpx.AsyncClient],
) -> None:
    _, client = sim
    await _faults(client, timeout_rate=1.0, timeout_s=5)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.post(PATH, json={"id": "late"}), timeout=0.3)
    assert (await client.get("/sim/tables/emr_patient_info/late")).status_code == 200


async def test_latency_delays_every_reply(sim: tuple[FrontendApp, httpx.AsyncClient]) -> None:
    _, client = sim
    await _faults(client, latency_ms=50)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await client.post(PATH, json={"id": "p1"})).json()["result"] is True
    assert loop.time() - started >= 0.05
    assert (await client.get("/sim/tables")).status_code == 200  # /sim is never faulted


@pytest.mark.parametrize("body", [
    {"error_rate": 2}, {"latency_ms": -1}, {"nonsense": 1}, {"seed": "x"}, [1, 2],
])
async def test_bad_fault_settings_are_400(
    sim: tuple[FrontendApp, httpx.AsyncClient], body: Any
) -> None:
    response = await sim[1].post("/sim/faults", json=body)
    assert response.status_code == 400 and response.json()["result"] is False


@pytest.fixture
def served() -> Iterator[str]:
    """The simulator under uvicorn (httptools) on a loopback port."""
    with serve_app(create_frontend_app(clock=ManualClock())) as url:
        yield url


async def test_drop_on_a_real_port_closes_the_connection(served: str) -> None:
    async with httpx.AsyncClient(base_url=served) as client:
        await _faults(client, drop_connection_rate=1.0)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(PATH, json={"id": "p1"})
        await _faults(client)
        assert (await client.post(PATH, json={"id": "p2"})).json()["result"] is True
        log = (await client.get("/sim/requests")).json()
        assert [e["http_status"] for e in log if e["path"] == PATH] == [0, 200]


async def test_timeout_on_a_real_port_trips_the_client_timeout(served: str) -> None:
    async with httpx.AsyncClient(base_url=served, timeout=0.2) as client:
        await _faults(client, timeout_rate=1.0, timeout_s=1)
        with pytest.raises(httpx.ReadTimeout):
            await client.post(PATH, json={"id": "p1"})
        await _faults(client)
        assert (await client.get("/sim/tables/emr_patient_info/p1")).status_code == 200
