"""The data-API client over real loopback HTTP, against a receiver that answers as protocol.md says.

The same scenarios run on a SQLite and a PostgreSQL store. (When the front-end simulator is
available, ``test_delivery_simulator.py`` runs them against it as well.)
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from hisbridge import _json
from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.delivery.outcome import DeliveryItem
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.queries import dead_entries
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing import ReceiverState, sample_record, serve_receiver

pytestmark = pytest.mark.services


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    return store_engine


@pytest.fixture
def receiver() -> Iterator[tuple[ReceiverState, str]]:
    state = ReceiverState()
    with serve_receiver(state) as url:
        yield state, url


def service_for(engine: Engine, config: DataApiConfig, clock: ManualClock) -> DeliveryService:
    return DeliveryService(
        engine, FrontendApiClient(config),
        intake=StoreIntake(engine, Validator("lenient"), clock=clock),
        queue=OutboxQueue(engine, clock=clock),
        policy=RetryPolicy(base_s=1.0, max_attempts=5, jitter=0.0),
        options=WorkerOptions(concurrency=8, batch_size=50, idle_poll_s=0.05, flush_s=0.005),
        clock=clock)


async def test_records_reach_the_receiver_in_camel_case_with_retries_and_dead_letters(
        engine: Engine, receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    state.script("p1", "01", "ok")
    state.script("p2", "http503", "ok")
    state.script("p3", "04")
    clock = ManualClock()
    service = service_for(engine, DataApiConfig(base_url=url), clock)
    rows = [sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(6)]
    service.accept("emr_patient_info", rows)
    service.accept("emr_ex_lab", [sample_record("emr_ex_lab", "lab1", parent_id="p1")])
    assert await service.run_until_idle(10)
    clock.advance(5)
    assert await service.run_until_idle(10)
    assert sorted(state.delivered_ids()) == ["lab1", "p0", "p1", "p2", "p4", "p5"]
    lab = next(r for r in state.received if r.record_id == "lab1")
    assert lab.body["patientId"] == "p1" and "specimenCategoryCode" in lab.body
    order = [r.record_id for r in state.received if r.answer == "ok"]
    assert order.index("p1") < order.index("lab1")
    [dead] = dead_entries(engine)
    assert dead.record_id == "p3" and dead.error_code == "04" and "数据校验错误" in dead.reason
    await service.stop()


async def test_key_style_and_path_overrides_follow_the_config(
        engine: Engine, receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    config = DataApiConfig(base_url=url, key_style="upper",
                           paths={"base_user": "/hclient/emr/receive/baseUser"})
    service = service_for(engine, config, ManualClock())
    service.accept("base_user", [sample_record("base_user", "u1")])
    assert await service.run_until_idle(10)
    [got] = state.received
    assert got.table == "base_user" and "ID" in got.body
    await service.stop()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_front_end_means_retry_later_never_delivered(engine: Engine) -> None:
    clock = ManualClock()
    config = DataApiConfig(base_url=f"http://127.0.0.1:{_closed_port()}", connect_timeout_s=1)
    service = service_for(engine, config, clock)
    service.accept("emr_patient_info", [sample_record("emr_patient_info", "p1")])
    assert await service.run_until_idle(10)
    with engine.connect() as conn:
        entry = conn.execute(select(outbox)).one()
    assert entry.state == "retry_wait" and "cannot reach" in entry.last_error
    assert service.metrics.reachable.labels(service.target.name)._value.get() == 0
    await service.stop()


async def test_the_client_refuses_base_dept_deletes_before_sending(
        receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    client = FrontendApiClient(DataApiConfig(base_url=url))
    item = DeliveryItem(1, "base_dept", "D01", 1, "delete", '{"dept_code": "D01"}', 1,
                        ManualClock().now())
    outcome = await client.deliver(item)
    await client.aclose()
    assert outcome.verdict == "terminal" and "base_dept" in outcome.reason
    assert state.received == []


async def test_an_http_date_retry_after_is_read_on_the_clients_clock() -> None:
    """``Retry-After: <HTTP date>`` is measured from the injected clock (the one time seam),
    not from the machine's wall clock."""
    from datetime import UTC, datetime

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from hisbridge.testing import serve_app

    async def busy(_: Request) -> Response:
        return Response(status_code=503, headers={"Retry-After": "Sun, 01 Mar 2026 00:01:00 GMT"})

    clock = ManualClock(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    app = Starlette(routes=[Route("/hclient/emr/receive/{table}", busy, methods=["POST"])])
    with serve_app(app, lifespan="off") as url:
        client = FrontendApiClient(DataApiConfig(base_url=url), clock=clock)
        item = DeliveryItem(1, "emr_patient_info", "p1", 1, "upsert",
                            _json.dumps_str(sample_record("emr_patient_info", "p1")), 1,
                            clock.now())
        outcome = await client.deliver(item)
        await client.aclose()
    assert outcome.verdict == "transient" and outcome.retry_after == 60.0
