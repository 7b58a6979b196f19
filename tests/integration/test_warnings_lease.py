"""The poller lease on SQLite and PostgreSQL: one holder, expiry, hand-over, and the fence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.warnings import FrontendMessage, MessagePage
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.warnings.lease import LeaseLost, PollerLease
from hisbridge.warnings.store import MessageStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    built = make_engine(url)
    upgrade(built)
    yield built
    built.dispose()


def _lease(engine: Engine, clock: ManualClock, holder: str) -> PollerLease:
    return PollerLease(engine, clock, name="frontend-messages", holder=holder, lease_s=30)


def _page(*seqs: int) -> MessagePage:
    messages = [FrontendMessage(f"M{s}", s, "missed_report", "high", "t", "c") for s in seqs]
    return MessagePage(messages, str(seqs[-1]) if seqs else None)


def test_one_holder_until_expiry_then_hand_over(engine: Engine) -> None:
    clock = ManualClock()
    a, b = _lease(engine, clock, "node-a"), _lease(engine, clock, "node-b")
    assert a.acquire() and not b.acquire()
    clock.advance(20)
    assert a.acquire()  # renewal moves the expiry
    clock.advance(20)
    assert not b.acquire()
    clock.advance(11)
    assert b.acquire() and not a.acquire()
    b.release()
    assert a.acquire()


def test_a_node_that_lost_its_lease_stores_nothing(engine: Engine) -> None:
    clock = ManualClock()
    store = MessageStore(engine, clock)
    a, b = _lease(engine, clock, "node-a"), _lease(engine, clock, "node-b")
    assert a.acquire()
    store.save_page(_page(1, 2), a)
    clock.advance(31)  # node A paused past its lease; node B takes over and polls
    assert b.acquire()
    store.save_page(_page(3), b)
    with pytest.raises(LeaseLost):
        store.save_page(_page(3, 4), a)
    assert [m["seq"] for m in store.after(0)] == [1, 2, 3]
    state = store.poll_state()
    assert (state.cursor, state.last_seq) == ("3", 3)


def test_save_is_idempotent_and_refuses_backward_seqs(engine: Engine) -> None:
    clock = ManualClock()
    store, lease = MessageStore(engine, clock), _lease(engine, clock, "node-a")
    assert lease.acquire()
    assert len(store.save_page(_page(1, 2, 3), lease).stored) == 3
    again = store.save_page(_page(2, 3, 4), lease)
    assert [m.seq for m in again.stored] == [4] and again.duplicates == 2
    late = MessagePage([FrontendMessage("LATE", 1, "t", "l", "t", "c")], "4")
    result = store.save_page(late, lease)
    assert result.stored == [] and result.out_of_order == 1
    assert store.max_seq() == 4
