"""Two gateway nodes of a hospital group on one PostgreSQL store (issue 21, item 2): each
institution's licence is polled by exactly one node at a time, every institution's warnings are
stored once and in its own order, and when a node stops the other takes its institutions over."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from hisbridge._clock import system_clock
from hisbridge.runtime.gateway import message_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import warning_messages as messages_table
from hisbridge.testing import serve_app
from hisbridge.testing.frontend_fake import FakeFrontendState, fake_frontend_app
from hisbridge.testing.warnings import group_settings
from hisbridge.warnings.services import build_message_services

pytestmark = [pytest.mark.services, pytest.mark.slow]
ORGS = ("H01", "T01")
POLLER = {"poller": {"interval_s": 0.03, "page_limit": 3, "lease_s": 1.5}}


def _node(engine: Engine, urls: dict[str, str], run_s: float, polls: dict[str, int]) -> None:
    """One gateway node in its own thread and event loop: step every institution's poller."""

    async def main() -> None:
        services = build_message_services(
            message_settings(group_settings(urls, interaction=POLLER)), engine, system_clock)
        deadline = time.monotonic() + run_s
        try:
            while time.monotonic() < deadline:
                for org, desk in services.desks.items():
                    result = await desk.poller.step()
                    polls[org] += 0 if result.standby else 1
                await asyncio.sleep(0.01)
        finally:
            for desk in services.desks.values():
                await asyncio.to_thread(desk.lease.release)
            await services.aclose()

    asyncio.run(main())


def _produce(states: dict[str, FakeFrontendState], stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        for org, state in states.items():
            state.add_message(msgId=f"{org}-{n}", orgCode=org, userId=f"D{n % 3}")
        time.sleep(0.01)


@contextlib.contextmanager
def _front_ends(states: dict[str, FakeFrontendState]) -> Iterator[dict[str, str]]:
    with serve_app(fake_frontend_app(states["H01"])) as h01, \
            serve_app(fake_frontend_app(states["T01"])) as t01:
        yield {"H01": h01, "T01": t01}


def test_each_licence_is_polled_by_one_node_at_a_time(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    states = {org: FakeFrontendState(license=f"LIC-{org}", latency_s=0.02) for org in ORGS}
    stop = threading.Event()
    polls = [dict.fromkeys(ORGS, 0) for _ in range(2)]
    with _front_ends(states) as urls:
        producer = threading.Thread(target=_produce, args=(states, stop), daemon=True)
        producer.start()
        # The first node stops early and releases its leases; the second takes over.
        nodes = [threading.Thread(target=_node, args=(engine, urls, run_s, counts))
                 for run_s, counts in zip((1.2, 2.5), polls, strict=True)]
        nodes[0].start()
        while not all(polls[0].values()) and nodes[0].is_alive():
            time.sleep(0.02)
        nodes[1].start()
        for node in nodes:
            node.join(timeout=60)
        stop.set()
        producer.join()
    with engine.connect() as conn:
        rows = conn.execute(select(messages_table.c.institution, messages_table.c.msg_id,
                                   messages_table.c.seq, messages_table.c.org_code)
                            .order_by(messages_table.c.institution, messages_table.c.seq)).all()
    engine.dispose()
    for org, state in states.items():
        assert state.max_in_flight == 1, f"two nodes queried {org}'s front-end at once"
        mine = [r for r in rows if r.institution == org]
        assert len(mine) > 10 and {r.org_code for r in mine} == {org}
        assert [r.seq for r in mine] == list(range(1, len(mine) + 1))  # in order, none twice
        assert [r.msg_id for r in mine] == [m["msgId"] for m in state.messages][: len(mine)]
        assert polls[0][org] > 0 and polls[1][org] > 0, f"{org} not taken over: {polls}"
