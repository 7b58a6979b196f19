"""One of a group's three front-ends down; the other two institutions' deliveries unaffected.

A hospital group's gateway (issue 21) delivers each institution through its own lane (queue
view, worker, breaker, target). Three front-end simulators on loopback ports serve institutions
A, B and C; records of all three are accepted at a steady rate; after ``lead_s`` seconds B's
front-end answers 503 for ``outage_s`` seconds (its outage), then recovers. The figures: every
record delivered exactly once (B's once its front-end is back), and A's and C's latency
(acceptance to the recorded success) during B's outage beside their latency before it.

``tests/reliability/test_reliability_group_outage.py`` runs it for a few seconds on SQLite and
PostgreSQL; ``scripts/reliability.py --only group --minutes 1`` for a minute.
"""

from __future__ import annotations

import asyncio
import statistics
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fault_kit import Figures, sim_view
from sqlalchemy import Engine, select

from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.simulators.frontend.config import FaultSettings
from hisbridge.store.schema.outbox import outbox
from hisbridge.store.times import from_store
from hisbridge.testing import sample_record, serve_app

__all__ = ["GroupOutage", "run_group_outage"]

CODES = ("A", "B", "C")
DOWN = "B"
TABLE = "emr_patient_info"


@dataclass
class GroupOutage:
    """The figures, and each institution's latencies (s) before and during B's outage."""

    figures: Figures
    before: dict[str, list[float]] = field(default_factory=dict)
    during: dict[str, list[float]] = field(default_factory=dict)

    def p95(self, phase: str, code: str) -> float:
        values = sorted(getattr(self, phase)[code])
        return values[min(len(values) - 1, int(0.95 * len(values)))] if values else 0.0

    def summary(self) -> str:
        return "; ".join(
            f"{c}: p95 {self.p95('before', c) * 1000:.0f} ms before, "
            f"{self.p95('during', c) * 1000:.0f} ms during B's outage "
            f"(median {statistics.median(self.during[c] or [0]) * 1000:.0f} ms)"
            for c in CODES if c != DOWN)


def _settings(urls: dict[str, str], store_url: str) -> Settings:
    return Settings(
        store={"url": store_url},
        frontend={"base_url": urls["A"], "org_code": "A", "concurrency": 4},
        delivery={"retry_base_s": 0.2, "retry_cap_s": 1.0, "breaker_max_s": 1.0,
                  "max_attempts": 10_000, "batch_size": 50},
        institutions=[{"org_code": c, "name": f"机构{c}", "frontend": {"base_url": urls[c]}}
                      for c in CODES])


async def _feed(service: DeliveryService, seconds: float, every_s: float,
                sent: dict[str, list[str]], serial: list[int]) -> None:
    """One record per institution every ``every_s`` seconds for ``seconds``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        n = serial[0] = serial[0] + 1
        rows = []
        for code in CODES:
            key = f"{code}-{n}"
            sent[code].append(key)
            rows.append(sample_record(TABLE, key, serial=n, org_code=code))
        result = await asyncio.to_thread(service.accept, TABLE, rows, source="group-outage")
        assert result.accepted == len(CODES), result.rejected
        await asyncio.sleep(every_s)


def _latencies(engine: Engine, since: Any, until: Any) -> dict[str, list[float]]:
    o = outbox.c
    out: dict[str, list[float]] = {c: [] for c in CODES}
    with engine.connect() as conn:
        rows = conn.execute(select(o.institution, o.created_at, o.finished_at).where(
            o.state == "delivered")).all()
    for code, created, finished in rows:
        at = from_store(created)
        if since <= at < until:
            out[code].append((from_store(finished) - at).total_seconds())  # type: ignore[operator]
    return out


async def run_group_outage(work: Path, engine: Engine, store_url: str, *, lead_s: float = 2.0,
                           outage_s: float = 3.0, every_s: float = 0.05,
                           drain_s: float = 60.0) -> GroupOutage:
    """The scenario of the module doc; ``engine`` is a migrated store at ``store_url``."""
    from hisbridge._clock import system_clock

    sims: dict[str, Any] = {}
    urls: dict[str, str] = {}
    sent: dict[str, list[str]] = {c: [] for c in CODES}
    serial = [0]
    with ExitStack() as stack:
        for code in CODES:
            app = create_frontend_app(FrontendSimConfig(licenses=()),
                                      store_url=f"sqlite:///{work / f'sim-{code}.db'}")
            urls[code] = stack.enter_context(serve_app(app))
            sims[code] = app.state.sim
        service = DeliveryService.from_settings(_settings(urls, store_url), engine)
        service.start()
        try:
            t0 = system_clock.now()
            await _feed(service, lead_s, every_s, sent, serial)
            t1 = system_clock.now()
            sims[DOWN].faults.configure(FaultSettings(outage_seconds=outage_s))
            await _feed(service, outage_s, every_s, sent, serial)
            t2 = system_clock.now()
            drained = await service.run_until_idle(drain_s)
        finally:
            await service.stop()
        for sim in sims.values():
            sim.store.commit()
    report = GroupOutage(Figures(f"group: {DOWN} of {len(CODES)} front-ends down {outage_s:g} s"))
    report.before = _latencies(engine, t0, t1)
    report.during = _latencies(engine, t1, t2)
    figures = report.figures
    states = _states(engine)
    for code in CODES:
        stored, receipts, failed = sim_view(work / f"sim-{code}.db", TABLE)
        figures.failed_sends += failed
        for key in sent[code]:
            figures.records_in += 1
            if states.get(f"{code}/{key}") == "delivered" and receipts[key] == 1 and key in stored:
                figures.delivered += 1
            else:
                figures.lost.append(f"{code}/{key}:{states.get(f'{code}/{key}')}:{receipts[key]}")
        figures.duplicates += sum(n - 1 for n in receipts.values() if n > 1)
    last_b = _last_delivered(engine, DOWN)
    figures.recover_s = round((last_b - t2).total_seconds(), 1) if last_b else None
    figures.notes += [report.summary(), f"drained: {drained}"]
    return report


def _last_delivered(engine: Engine, code: str) -> Any:
    """When the last of ``code``'s entries was recorded delivered (its backlog cleared)."""
    from sqlalchemy import func

    with engine.connect() as conn:
        last = conn.execute(select(func.max(outbox.c.finished_at)).where(
            outbox.c.institution == code, outbox.c.state == "delivered")).scalar()
    return from_store(last) if last is not None else None


def _states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(outbox.c.record_id, outbox.c.state)).all())  # type: ignore[arg-type]
