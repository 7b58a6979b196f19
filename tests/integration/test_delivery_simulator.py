"""Delivery against the front-end simulator (``hisbridge.simulators.frontend``) on a real port.

The same store scenarios as the contract tests, now with the simulator's own validation, fault
injection and storage deciding.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.config import FaultSettings
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.queries import dead_entries, outbox_status
from hisbridge.testing import sample_record, serve_app

pytestmark = pytest.mark.services


@pytest.fixture
def engine(store_engine: Engine) -> Engine:
    return store_engine


@pytest.fixture(params=["strict"])
def simulator(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, str]]:
    app = create_frontend_app(FrontendSimConfig(mode=request.param),
                              store_url=f"sqlite:///{tmp_path / 'sim.db'}")
    with serve_app(app) as url:
        yield app.state.sim, url


def service_for(engine: Engine, url: str, clock: ManualClock) -> DeliveryService:
    return DeliveryService(
        engine, FrontendApiClient(DataApiConfig(base_url=url)),
        intake=StoreIntake(engine, Validator("lenient"), clock=clock),
        queue=OutboxQueue(engine, clock=clock),
        policy=RetryPolicy(base_s=1.0, max_attempts=5, jitter=0.0),
        options=WorkerOptions(concurrency=8, batch_size=50, idle_poll_s=0.05, flush_s=0.005),
        clock=clock)


async def test_the_simulator_stores_what_hisbridge_delivers(
        engine: Engine, simulator: tuple[Any, str]) -> None:
    sim, url = simulator
    service = service_for(engine, url, ManualClock())
    service.accept("emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i)
                                        for i in range(20)])
    service.accept("emr_ex_lab", [sample_record("emr_ex_lab", f"l{i}", parent_id=f"p{i}")
                                  for i in range(10)])
    service.accept("emr_ex_lab_item", [
        sample_record("emr_ex_lab_item", f"li{i}", parent_id=f"l{i}") for i in range(10)])
    service.accept("emr_patient_info", [{"id": "p19"}], op="delete")
    assert await service.run_until_idle(30)
    sim.store.commit()
    counts = sim.store.counts()
    assert (counts["emr_patient_info"], counts["emr_ex_lab"], counts["emr_ex_lab_item"]) \
        == (19, 10, 10)
    assert outbox_status(engine, ManualClock().now()).counts == {
        "emr_patient_info": {"delivered": 21}, "emr_ex_lab": {"delivered": 10},
        "emr_ex_lab_item": {"delivered": 10}}
    await service.stop()


async def test_injected_faults_are_retried_and_refusals_dead_lettered(
        engine: Engine, simulator: tuple[Any, str]) -> None:
    sim, url = simulator
    clock = ManualClock()
    service = service_for(engine, url, clock)
    sim.faults.configure(FaultSettings(error_rate=1.0, error_code="01"))
    service.accept("base_user", [sample_record("base_user", f"u{i}") for i in range(5)])
    # Lenient here, refused by a strict front-end: a code outside its code set (a warning).
    service.accept("emr_patient_info", [sample_record("emr_patient_info", "odd",
                                                      nation_code="ZZ")])
    assert await service.run_until_idle(30)
    assert outbox_status(engine, clock.now()).counts["base_user"] == {"retry_wait": 5}
    sim.faults.configure(FaultSettings())
    clock.advance(5)
    assert await service.run_until_idle(30)
    status = outbox_status(engine, clock.now()).counts
    assert status["base_user"] == {"delivered": 5}
    if sim.config.mode == "strict":
        [dead] = dead_entries(engine)
        assert dead.record_id == "odd" and dead.error_code in ("03", "04")
        assert "nation_code" in (dead.reply or "")
    else:
        assert status["emr_patient_info"] == {"delivered": 1}
    await service.stop()
