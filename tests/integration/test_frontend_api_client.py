"""The data-API client alone over real loopback HTTP: replies, network failures and the pool.

The verdicts are the connector's contract whatever HTTP library carries it: timeouts and
unreachable front-ends are transient (and not reachable), 5xx/408/429 transient with their
``Retry-After``, other 4xx terminal, business codes as protocol.md says.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hisbridge import _json
from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.testing import ReceiverState, sample_record, serve_app, serve_receiver


@pytest.fixture
def receiver() -> Iterator[tuple[ReceiverState, str]]:
    state = ReceiverState()
    with serve_receiver(state) as url:
        yield state, url


def item(record_id: str, op: str = "upsert", n: int = 1) -> DeliveryItem:
    record = sample_record("emr_patient_info", record_id, serial=n)
    return DeliveryItem(n, "emr_patient_info", record_id, 1, op,  # type: ignore[arg-type]
                        _json.dumps_str(record), 1, ManualClock().now())


async def deliver_once(config: DataApiConfig, record: DeliveryItem) -> Outcome:
    client = FrontendApiClient(config)
    try:
        return await client.deliver(record)
    finally:
        await client.aclose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(("answer", "verdict", "status", "retry_after"), [
    ("ok", "delivered", 200, None),
    ("01", "transient", 200, None),
    ("04", "terminal", 200, None),
    ("http503", "transient", 503, 1.0),
    ("http429", "transient", 429, 1.0),
    ("http500", "transient", 500, None),
    ("http400", "terminal", 400, None),
    ("http404", "terminal", 404, None),
])
async def test_each_reply_becomes_its_verdict(receiver: tuple[ReceiverState, str], answer: str,
                                              verdict: str, status: int,
                                              retry_after: float | None) -> None:
    state, url = receiver
    state.script("p1", answer)
    outcome = await deliver_once(DataApiConfig(base_url=url), item("p1"))
    assert (outcome.verdict, outcome.status_code, outcome.retry_after) == (
        verdict, status, retry_after)
    assert outcome.reachable
    [got] = state.received
    assert got.method == "POST" and got.body["id"] == "p1" and "patientName" in got.body


async def test_a_delete_sends_the_record_with_delete(receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    outcome = await deliver_once(DataApiConfig(base_url=url), item("p2", op="delete"))
    assert outcome.ok
    [got] = state.received
    assert got.method == "DELETE" and got.body["id"] == "p2"


async def test_a_slow_front_end_is_a_timeout_to_retry() -> None:
    state = ReceiverState(latency_s=2.0)
    with serve_receiver(state) as url:
        outcome = await deliver_once(DataApiConfig(base_url=url, timeout_s=0.3), item("p1"))
    assert outcome.verdict == "transient" and not outcome.reachable
    assert "超时 timeout" in outcome.reason


async def test_a_closed_port_is_unreachable_to_retry() -> None:
    config = DataApiConfig(base_url=f"http://127.0.0.1:{_closed_port()}", connect_timeout_s=1)
    outcome = await deliver_once(config, item("p1"))
    assert outcome.verdict == "transient" and not outcome.reachable
    assert "cannot reach" in outcome.reason


async def test_proxies_from_the_environment_are_not_used(
        receiver: tuple[ReceiverState, str], monkeypatch: pytest.MonkeyPatch) -> None:
    state, url = receiver
    nowhere = f"http://127.0.0.1:{_closed_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, nowhere)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert (await deliver_once(DataApiConfig(base_url=url), item("p1"))).ok
    assert state.delivered_ids() == ["p1"]


@pytest.fixture
def peer_ports() -> Iterator[tuple[list[int], str]]:
    """A receiver that notes each request's client port (one per connection)."""
    ports: list[int] = []

    async def receive(request: Request) -> JSONResponse:
        ports.append(request.client.port if request.client else 0)
        await asyncio.sleep(0.005)
        return JSONResponse({"result": True, "desc": "成功", "id": "x"})

    app = Starlette(routes=[Route("/hclient/emr/receive/{table}", receive, methods=["POST"])])
    with serve_app(app, lifespan="off") as url:
        yield ports, url


async def test_connections_are_kept_alive_and_bounded_by_concurrency(
        peer_ports: tuple[list[int], str]) -> None:
    ports, url = peer_ports
    client = FrontendApiClient(DataApiConfig(base_url=url, concurrency=4))
    try:
        for round_no in range(10):
            outcomes = await asyncio.gather(
                *(client.deliver(item(f"p{round_no}-{i}", n=i)) for i in range(4)))
            assert all(o.ok for o in outcomes)
    finally:
        await client.aclose()
    assert len(ports) == 40 and len(set(ports)) <= 4


async def test_a_closed_client_opens_a_new_pool_when_used_again(
        receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    client = FrontendApiClient(DataApiConfig(base_url=url))
    assert (await client.deliver(item("p1"))).ok
    await client.aclose()
    assert (await client.deliver(item("p2", n=2))).ok
    await client.aclose()
    assert state.delivered_ids() == ["p1", "p2"]


_USE_AND_EXIT = """
import asyncio, sys
from datetime import UTC, datetime
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.delivery.outcome import DeliveryItem

async def main():
    client = FrontendApiClient(DataApiConfig(base_url=sys.argv[1]))
    now = datetime.now(UTC)
    await client.deliver(DeliveryItem(1, "emr_patient_info", "p1", 1, "upsert", '{"id": "p1"}', 1, now))
    await client.aclose()

asyncio.run(main())
"""


def test_a_process_that_used_and_closed_the_client_exits_cleanly(
        receiver: tuple[ReceiverState, str]) -> None:
    """pyreqwest's Tokio thread must be done with Python before the interpreter finalizes:
    without the pause in ``aclose`` about one such exit in eight aborted (SIGABRT)."""
    _, url = receiver
    codes: list[int] = []
    for _ in range(6):  # 24 exits, four at a time
        runs = [subprocess.Popen([sys.executable, "-c", _USE_AND_EXIT, url],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for _ in range(4)]
        codes += [run.wait(60) for run in runs]
        for run in runs:
            assert run.stderr is not None
            run.stderr.close()
    assert codes == [0] * 24
