"""Delivery under injected front-end faults: outage, seeded error mixes, slow replies.

One run: the front-end simulator (lenient, its own SQLite file) on a loopback port in a
thread, hisbridge's store (SQLite) and a ``DeliveryService`` with the real data-API
client. Records are fed in while the faults are switched on and off at planned moments
(``POST /sim/faults``, as an operator would); the run ends when nothing is waiting any more,
or at the deadline. Then every accepted id is reconciled against the simulator's database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fault_kit import Figures, backlog, reconcile

from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.outbox import OutboxQueue
from hisbridge.testing import sample_record, serve_app

TABLE = "emr_patient_info"


@dataclass(frozen=True)
class Plan:
    """Fault settings posted at given seconds after the start; the last one ends the faults."""

    name: str
    steps: Sequence[tuple[float, dict[str, Any]]]
    client_timeout_s: float = 15.0
    feed_s: float = 2.0
    deadline_s: float = 120.0

    def faults_end_s(self) -> float:
        """Seconds after the start when the last fault ends (an outage runs on by itself)."""
        at, faults = self.steps[-1]
        return at + float(faults.get("outage_seconds", 0))


def outage(seconds: float) -> Plan:
    return Plan(f"front-end outage {seconds:g} s", [(0.5, {"outage_seconds": seconds})],
                feed_s=min(seconds, 5.0), deadline_s=seconds + 90)


def error_mix(rate: float, seconds: float, seed: int = 7) -> Plan:
    """``rate`` of requests faulted, alternating the kinds: 5xx/99, timeouts, drops, 01."""
    part = seconds / 4
    share = rate / 2
    kinds = [{"error_rate": rate, "error_code": "99", "http_status": 500},
             {"timeout_rate": share, "timeout_s": 2.0, "error_rate": share,
              "error_code": "01"},
             {"drop_connection_rate": share, "error_rate": share, "error_code": "99"},
             {"error_rate": rate, "error_code": "01"}]
    steps = [(0.2 + i * part, {**kind, "seed": seed + i}) for i, kind in enumerate(kinds)]
    return Plan(f"{rate:.0%} seeded errors (5xx, timeouts, drops, 01/99)",
                [*steps, (0.2 + seconds, {})], client_timeout_s=1.0, feed_s=seconds * 0.8,
                deadline_s=seconds + 90)


def slow(latency_ms: float, seconds: float) -> Plan:
    return Plan(f"slow replies {latency_ms:g} ms", [(0.0, {"latency_ms": latency_ms}),
                                                    (seconds, {})],
                client_timeout_s=max(5.0, latency_ms / 1000 * 3), feed_s=seconds * 0.8,
                deadline_s=seconds + 90)


def _service(engine: Any, url: str, plan: Plan, concurrency: int) -> DeliveryService:
    client = FrontendApiClient(DataApiConfig(base_url=url, timeout_s=plan.client_timeout_s,
                                             connect_timeout_s=1.0, concurrency=concurrency))
    return DeliveryService(
        engine, client, intake=StoreIntake(engine, Validator("lenient")),
        queue=OutboxQueue(engine),
        policy=RetryPolicy(base_s=0.2, cap_s=2.0, max_attempts=200),
        options=WorkerOptions(concurrency=concurrency, batch_size=100, lease_s=30,
                              idle_poll_s=0.05, flush_s=0.005, breaker_base_s=0.2,
                              breaker_max_s=2.0))


async def _feed(service: DeliveryService, n: int, seconds: float) -> list[str]:
    """Accept ``n`` records in 20 chunks spread over ``seconds``; returns the accepted ids."""
    accepted: list[str] = []
    chunk = max(1, n // 20)
    for start in range(0, n, chunk):
        rows = [sample_record(TABLE, f"p{i}", serial=i) for i in range(start, min(n, start + chunk))]
        result = await asyncio.to_thread(service.accept, TABLE, rows, source="reliability")
        assert result.accepted == len(rows), result.rejected[:1]
        accepted += [row["id"] for row in rows]
        await asyncio.sleep(seconds / 20)
    return accepted


async def _apply(http: httpx.AsyncClient, plan: Plan, started: float) -> None:
    for at, faults in plan.steps:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        reply = await http.post("/sim/faults", json=faults)
        reply.raise_for_status()


async def _drain(engine: Any, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if await asyncio.to_thread(backlog, engine) == 0:
            return True
        await asyncio.sleep(0.2)
    return False


async def run_plan(workdir: Path, plan: Plan, n: int, *, concurrency: int = 8) -> Figures:
    """Run one plan with ``n`` records; the figures say what happened to each of them."""
    workdir.mkdir(parents=True, exist_ok=True)
    sim_db = workdir / "sim.db"
    engine = make_engine(f"sqlite:///{workdir / 'store.db'}")
    upgrade(engine)
    figures = Figures(plan.name)
    app = create_frontend_app(FrontendSimConfig(mode="lenient"), store_url=f"sqlite:///{sim_db}")
    with serve_app(app) as url:
        service = _service(engine, url, plan, concurrency)
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            started = time.monotonic()
            service.start()
            faults = asyncio.create_task(_apply(http, plan, started))
            accepted = await _feed(service, n, plan.feed_s)
            await faults
            drained = await _drain(engine, started + plan.deadline_s)
            end = time.monotonic()
            await http.post("/sim/faults", json={})
        await service.stop()
        await asyncio.sleep(0.3)  # the simulator commits its last writes every 50 ms
        figures.recover_s = round(max(0.0, end - started - plan.faults_end_s()), 1)
        if not drained:
            figures.notes.append(f"backlog not empty after {plan.deadline_s:g} s")
        reconcile(figures, engine, sim_db, TABLE, accepted)
    engine.dispose()
    return figures
