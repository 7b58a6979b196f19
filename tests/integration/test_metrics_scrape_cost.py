"""``/metrics`` reads the waiting entries on every scrape and recounts the history only in the
background: a scrape issues no COUNT over the whole outbox, ``records`` or ``quarantine``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import Engine, event

from hisbridge._clock import ManualClock
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.store.queries import outbox_status
from hisbridge.testing import RecordingTarget, sample_record
from hisbridge.testing.targets import rejected
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices

_WAITING_ONLY = re.compile(r"WHERE outbox\.state IN \(", re.IGNORECASE)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def record(conn: object, cursor: object, sql: str, *_: object) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def full_scans(sql: list[str]) -> list[str]:
    """Statements that read ``records`` or ``quarantine``, or ``outbox`` beyond its waiting
    states (a COUNT of the history)."""
    touching = [s for s in sql if re.search(r"\b(outbox|records|quarantine)\b", s)]
    return [s for s in touching if re.search(r"\b(records|quarantine)\b", s)
            or not _WAITING_ONLY.search(s)]


def _service(engine: Engine, clock: ManualClock) -> DeliveryService:
    target = RecordingTarget()
    target.script("p1", [rejected("04")])
    settings = Settings(push={"token": "t0ken"})
    service = DeliveryService.from_settings(settings, engine, target=target, clock=clock)
    service.accept("emr_patient_info", [sample_record("emr_patient_info", f"p{i}", serial=i)
                                        for i in range(3)])
    service.accept("emr_patient_info", [{"id": "p9"}])  # quarantined
    return service


def _gauge(text: str, name: str, **labels: str) -> float:
    shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    match = re.search(rf"^{name}\{{{re.escape(shown)}\}} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{{{shown}}} missing"
    return float(match.group(1))


async def test_a_scrape_never_counts_the_history(store_engine: Engine) -> None:
    clock = ManualClock()
    service = _service(store_engine, clock)
    assert await service.run_until_idle(10)
    await service.stop()  # its worker would retry p1 during the scrape: only the scrape's SQL counts
    app = create_app(Settings(push={"token": "t0ken"}), store_engine, clock=clock,
                     services=AppServices(delivery=service))
    gauges = app.state.outbox_gauges
    recount = asyncio.create_task(gauges.run())  # what the running gateway starts
    try:
        await asyncio.sleep(0.2)  # the first recount, off the scrape
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://gw") as http:
            with statements(store_engine) as sql:
                text = (await http.get("/metrics")).text
    finally:
        recount.cancel()
        await asyncio.gather(recount, return_exceptions=True)
    assert any("outbox" in s for s in sql), "the scrape reads the waiting entries"
    assert full_scans(sql) == []
    status = outbox_status(store_engine, clock.now())  # the full count, for comparison
    assert _gauge(text, "hisbridge_outbox_entries", table="emr_patient_info",
                  state="delivered") == status.counts["emr_patient_info"]["delivered"] == 2
    assert _gauge(text, "hisbridge_outbox_entries", table="emr_patient_info",
                  state="dead") == 1
    assert _gauge(text, "hisbridge_quarantined", table="emr_patient_info") == 1
    assert _gauge(text, "hisbridge_outbox_pending", table="emr_patient_info") == 0


async def test_waiting_counts_are_fresh_finished_ones_recounted(store_engine: Engine) -> None:
    clock = ManualClock()
    service = _service(store_engine, clock)  # accepted, not yet sent: all waiting
    app = create_app(Settings(push={"token": "t0ken"}, web={"metrics_recount_s": 30}),
                     store_engine, clock=clock, services=AppServices(delivery=service))
    gauges = app.state.outbox_gauges
    before = gauges.read(clock.now())
    assert before.counts == {"emr_patient_info": {"pending": 3}}
    assert before.quarantined == {"emr_patient_info": 1}
    assert await service.run_until_idle(10)
    with statements(store_engine) as sql:
        soon = gauges.read(clock.now())  # waiting: fresh; finished: not yet recounted
    assert full_scans(sql) == []
    assert soon.counts == {}
    clock.advance(30)  # no background job here: a read recounts once every_s has passed
    later = gauges.read(clock.now())
    assert later.counts == outbox_status(store_engine, clock.now()).counts \
        == {"emr_patient_info": {"delivered": 2, "dead": 1}}
    await service.stop()
