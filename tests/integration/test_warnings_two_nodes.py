"""Two gateway processes on one PostgreSQL store, polling the front-end simulator on a real port:
one poll in flight at any time, every message stored once, in order."""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import to_wire
from hisbridge.simulators.frontend import FaultSettings, FrontendSimConfig, create_frontend_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import warning_messages as messages_table
from hisbridge.testing import serve_app
from hisbridge.testing.documents import valid_record

ORG = "440100001"
QUERY_PATH = "/hclient/api/message/query"


class InFlight:
    """ASGI wrapper counting message queries in flight at once (the highest count wins)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = 0
        self.most = 0
        self.queries = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != QUERY_PATH:
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.queries += 1
        self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def _node(store_url: str, frontend_url: str, run_s: float, results: Any) -> None:
    """One gateway process: build the services from settings and poll for ``run_s`` seconds."""
    import asyncio

    from hisbridge.runtime.gateway import message_settings
    from hisbridge.settings import Settings
    from hisbridge.warnings.services import build_message_services

    settings = Settings(
        store={"url": store_url},
        frontend={"base_url": frontend_url, "license": "SIM-LICENSE-0001", "org_code": ORG},
        interaction={"poller": {"interval_s": 0.05, "page_limit": 5, "lease_s": 2.0}},
    )

    async def main() -> int:
        engine = make_engine(store_url)
        services = build_message_services(message_settings(settings), engine)
        polls = 0
        deadline = time.monotonic() + run_s
        while time.monotonic() < deadline:
            result = await services.poller.step()
            polls += 0 if result.standby else 1
            await asyncio.sleep(result.delay_s or 0.01)
        await asyncio.to_thread(services.lease.release)
        await services.aclose()
        engine.dispose()
        return polls

    results.put(asyncio.run(main()))


def _produce(url: str, stop: threading.Event) -> None:
    """Notifiable diagnoses, one every few ms, and a warning-engine tick after each."""
    spec = load_dictionary().table("emr_activity_info")
    with httpx.Client(base_url=url) as http:
        n = 0
        while not stop.is_set():
            n += 1
            record = valid_record(spec, id=f"V{n}", patient_id="P1", disease_code="A15.0",
                                  operator_id=f"D{n % 3}", org_code=ORG)
            http.post(spec.api_path, json=to_wire(spec, record))
            http.post("/sim/tick")
            time.sleep(0.01)


@pytest.mark.services
@pytest.mark.slow
def test_two_processes_never_poll_together(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    simulator = create_frontend_app(FrontendSimConfig(
        report_delay_s=0.0, faults=FaultSettings(latency_ms=20)))
    counted = InFlight(simulator)
    stop = threading.Event()
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    with serve_app(counted) as url:
        producer = threading.Thread(target=_produce, args=(url, stop), daemon=True)
        producer.start()
        # The first node stops early and releases the lease; the second takes over.
        nodes = [ctx.Process(target=_node, args=(pg_url, url, run_s, results))
                 for run_s in (1.5, 3.0)]
        nodes[0].start()
        while counted.queries == 0 and nodes[0].is_alive():
            time.sleep(0.02)
        nodes[1].start()
        for node in nodes:
            node.join(timeout=60)
        stop.set()
        producer.join()
        polls = sorted(results.get(timeout=5) for _ in nodes)
        sent = httpx.get(f"{url}/sim/messages").json()
    assert all(node.exitcode == 0 for node in nodes)
    assert counted.most == 1, "two message queries were in flight at once"
    assert polls[0] > 0 and polls[1] > 0, f"both nodes should have polled in turn: {polls}"
    with engine.connect() as conn:
        rows = conn.execute(select(messages_table.c.seq, messages_table.c.msg_id,
                                   messages_table.c.polled_at).order_by(messages_table.c.seq)).all()
    engine.dispose()
    seqs = [r.seq for r in rows]
    assert len(seqs) > 20 and seqs == [m["seq"] for m in sent][: len(seqs)]
    assert len({r.msg_id for r in rows}) == len(rows)
    polled = [r.polled_at for r in rows]
    assert polled == sorted(polled), "a later message was stored before an earlier one"
