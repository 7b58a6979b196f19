"""A hospital group's delivery (issue 21): one lane per enabled institution, each claiming only
its own entries (the legacy owner also those queued before the group), each with its own
worker, breaker and concurrency; institutions on one front-end share its client only."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hisbridge.institutions.routing import intake_routing
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.testing import sample_record

GROUP = {
    "frontend": {"base_url": "http://127.0.0.1:9/county", "org_code": "T01"},
    "institutions": [
        {"org_code": "H01", "frontend": {"base_url": "http://127.0.0.1:9/h01", "concurrency": 3}},
        {"org_code": "T01"},  # the county front-end, shared with T02
        {"org_code": "T02"},
        {"org_code": "T03", "enabled": False},
    ],
}


def _queue_all(engine: Engine) -> None:
    """An entry queued before the group (no institution), then one per institution."""
    StoreIntake(engine).accept("emr_patient_info", [sample_record("emr_patient_info", "OLD")])
    group = StoreIntake(engine, routing=intake_routing(Settings(**GROUP).institution_list()))
    group.accept("emr_patient_info", [sample_record("emr_patient_info", f"P-{code}", org_code=code)
                                      for code in ("H01", "T01", "T02")])


@pytest.mark.parametrize(("institution", "unmarked", "expected"), [
    ("H01", False, ["H01/P-H01"]),
    ("T01", True, ["OLD", "T01/P-T01"]),  # the legacy owner: the top-level org_code's
    ("T02", False, ["T02/P-T02"]),
    (None, False, ["OLD", "H01/P-H01", "T01/P-T01", "T02/P-T02"]),  # a single hospital: all
])
def test_each_institutions_queue_claims_only_its_own_entries(
        store_engine: Engine, institution: str | None, unmarked: bool, expected: list[str]) -> None:
    _queue_all(store_engine)
    queue = OutboxQueue(store_engine, institution=institution, unmarked=unmarked)
    assert [item.record_id for item in queue.claim("w", 10, 60)] == expected


async def test_every_enabled_institution_gets_its_own_lane_and_worker(store_engine: Engine) -> None:
    service = DeliveryService.from_settings(Settings(**GROUP), store_engine, worker_id="n1")
    lanes = {lane.institution: lane for lane in service.lanes}
    assert list(lanes) == ["H01", "T01", "T02"]  # T03 is disabled: its records are held
    assert lanes["T01"].target is lanes["T02"].target  # one county front-end: one client
    assert lanes["H01"].target is not lanes["T01"].target
    assert lanes["H01"].options.concurrency == 3 and lanes["T01"].options.concurrency == 16
    assert lanes["T01"].queue.unmarked and not lanes["H01"].queue.unmarked
    service.start()
    try:
        workers = [lane.worker for lane in service.lanes]
        assert service.worker is workers[0]  # the single hospital's attribute still answers
        assert len({id(w) for w in workers}) == 3
        assert len({id(w.breaker) for w in workers if w is not None}) == 3
        assert [w.worker_id for w in workers if w is not None] == ["n1:H01", "n1:T01", "n1:T02"]
        assert workers[1] is not None and workers[1].target_name.endswith("[T01]")
    finally:
        await service.stop()
    assert service.worker is None


def test_a_single_hospital_keeps_one_lane_for_every_entry(store_engine: Engine) -> None:
    service = DeliveryService.from_settings(Settings(), store_engine)
    (lane,) = service.lanes
    assert lane.institution is None and lane.queue.institution is None
    assert service.target is lane.target and service.queue is lane.queue
    assert service.intake.routing is None


async def test_a_group_with_every_institution_disabled_sends_nothing(store_engine: Engine) -> None:
    listed = [{**i, "enabled": False} for i in GROUP["institutions"]]  # type: ignore[attr-defined]
    service = DeliveryService.from_settings(Settings(**{**GROUP, "institutions": listed}),
                                            store_engine)
    assert service.lanes == [] and service.worker is None
    result = service.accept("emr_patient_info",
                            [sample_record("emr_patient_info", "P1", org_code="H01")])
    assert result.accepted == 0 and result.rejected[0].violations[0].rule == "disabled_org"
    assert await service.run_until_idle(1)
    await service.stop()
