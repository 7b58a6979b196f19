"""Two gateway processes on one PostgreSQL store: one poll at a time, no duplicate, in order."""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from hisbridge.messages.fakes import FakeFrontendState, fake_frontend_app, serving
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.messages import messages as messages_table


def _node(store_url: str, frontend_url: str, run_s: float, results: Any) -> None:
    """One gateway process: build the services from settings and poll for ``run_s`` seconds."""
    import asyncio

    from hisbridge.messages.services import build_message_services
    from hisbridge.settings import Settings

    settings = Settings(
        store={"url": store_url},
        frontend={"base_url": frontend_url, "license": "SIM-LICENSE-0001"},
        interaction={"poller": {"interval_s": 0.05, "page_limit": 5, "lease_s": 2.0}},
    )

    async def main() -> int:
        engine = make_engine(store_url)
        services = build_message_services(settings, engine)
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


@pytest.mark.services
@pytest.mark.slow
def test_two_processes_never_poll_together(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    state = FakeFrontendState(latency_s=0.03)
    stop = threading.Event()

    def produce() -> None:
        while not stop.is_set():
            state.add_message(userId=f"D{len(state.messages) % 3}")
            time.sleep(0.01)

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    with serving(fake_frontend_app(state)) as url:
        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        # The first node stops early and releases the lease; the second takes over.
        nodes = [ctx.Process(target=_node, args=(pg_url, url, run_s, results))
                 for run_s in (1.5, 3.0)]
        nodes[0].start()
        while state.queries == 0 and nodes[0].is_alive():
            time.sleep(0.02)
        nodes[1].start()
        for node in nodes:
            node.join(timeout=60)
        stop.set()
        producer.join()
        polls = sorted(results.get(timeout=5) for _ in nodes)
    assert all(node.exitcode == 0 for node in nodes)
    assert state.max_in_flight == 1, "two message queries were in flight at once"
    assert polls[0] > 0 and polls[1] > 0, f"both nodes should have polled in turn: {polls}"
    with engine.connect() as conn:
        rows = conn.execute(select(messages_table.c.seq, messages_table.c.msg_id,
                                   messages_table.c.polled_at).order_by(messages_table.c.seq)).all()
    engine.dispose()
    seqs = [r.seq for r in rows]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > 50
    assert len({r.msg_id for r in rows}) == len(rows)
    polled = [r.polled_at for r in rows]
    assert polled == sorted(polled), "a later message was stored before an earlier one"
