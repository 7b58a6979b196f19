"""``/api/v1/outbox`` and ``/metrics`` over a store with delivered and dead entries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from hisbridge._clock import ManualClock
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import RecordingTarget, sample_record
from hisbridge.testing.targets import rejected
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices

AUTH = {"Authorization": "Bearer t0ken"}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


async def test_status_dead_replay_and_metrics(engine: Engine) -> None:
    clock, target = ManualClock(), RecordingTarget()
    target.script("p1", [rejected("02")])
    target.script("p2", [rejected("04")])
    settings = Settings(push={"token": "t0ken"})
    service = DeliveryService.from_settings(settings, engine, target=target, clock=clock)
    service.accept("emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i)
                                        for i in range(4)])
    service.accept("emr_patient_info", [{"id": "p9"}])  # quarantined: required fields missing
    assert await service.run_until_idle(10)
    clock.advance(30)
    app = create_app(settings, engine, clock=clock, services=AppServices(delivery=service))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw") as http:
        assert (await http.get("/api/v1/outbox/status")).status_code == 401
        status = (await http.get("/api/v1/outbox/status", headers=AUTH)).json()
        assert status["counts"] == {"emr_patient_info": {"delivered": 2, "dead": 2}}
        assert status["quarantined"] == {"emr_patient_info": 1}
        dead = (await http.get("/api/v1/outbox/dead?table=emrPatientInfo", headers=AUTH)).json()
        assert {d["record_id"]: d["error_code"] for d in dead["dead"]} == {"p1": "02", "p2": "04"}
        assert (await http.get("/api/v1/outbox/dead?table=nope", headers=AUTH)).status_code == 404
        ask = {"table": "emr_patient_info", "error_code": "02", "dry_run": True}
        preview = (await http.post("/api/v1/outbox/replay", headers=AUTH, json=ask)).json()
        assert (preview["matched"], preview["replayed"]) == (1, 0)
        done = (await http.post("/api/v1/outbox/replay", headers=AUTH,
                                json={**ask, "dry_run": False})).json()
        assert done["replayed"] == 1 and done["replay_id"]
        bad = await http.post("/api/v1/outbox/replay", headers=AUTH, json={"table": 5})
        assert bad.status_code == 422
        assert await service.run_until_idle(10)
        text = (await http.get("/metrics")).text
    assert 'hisbridge_delivered_total{table="emr_patient_info"} 3.0' in text
    assert 'hisbridge_dead_lettered_total{table="emr_patient_info"} 2.0' in text
    assert 'hisbridge_outbox_entries{state="dead",table="emr_patient_info"} 1.0' in text
    assert 'hisbridge_outbox_pending{table="emr_patient_info"} 0.0' in text
    assert "hisbridge_delivery_latency_seconds_bucket" in text
    assert 'hisbridge_target_reachable{target="recording"} 1.0' in text
    assert 'hisbridge_quarantined{table="emr_patient_info"} 1.0' in text
    await service.stop()
