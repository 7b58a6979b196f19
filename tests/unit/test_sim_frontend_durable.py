"""Secret keys and their cursors written through to the simulator's store (in-memory SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from hisbridge._clock import ManualClock
from hisbridge.dictionary import load_dictionary
from hisbridge.simulators.frontend.durable import DurableState, SavedKey
from hisbridge.simulators.frontend.secret_keys import SecretKeys
from hisbridge.simulators.frontend.store import SimStore

TTL_S = 7 * 86_400.0
LICENSES = ("LIC-1",)


@pytest.fixture
def durable() -> Iterator[DurableState]:
    store = SimStore(None, load_dictionary())
    yield DurableState(store)
    store.close()


def _rows(durable: DurableState) -> list[tuple[str, int]]:
    rows = durable.store.query("SELECT secret_key, consumed FROM sim_secret_key")
    return [(r["secret_key"], int(r["consumed"])) for r in rows]


def test_without_a_store_keys_live_in_memory_only() -> None:
    keys = SecretKeys(ManualClock(), TTL_S, LICENSES)
    issued = keys.issue("LIC-1")
    assert issued is not None and keys.check(issued.key) is issued
    keys.advance(issued, 4)
    assert issued.consumed == 4


def test_issue_and_cursor_are_written_through(durable: DurableState) -> None:
    keys = SecretKeys(ManualClock(), TTL_S, LICENSES, durable)
    issued = keys.issue("LIC-1")
    assert issued is not None and _rows(durable) == [(issued.key, 0)]
    keys.advance(issued, 5)
    keys.advance(issued, 3)  # never back
    assert issued.consumed == 5 and _rows(durable) == [(issued.key, 5)]
    assert keys.issue("WRONG") is None and len(_rows(durable)) == 1


def test_a_second_instance_loads_the_same_keys(durable: DurableState) -> None:
    clock = ManualClock()
    first = SecretKeys(clock, TTL_S, LICENSES, durable)
    issued = first.issue("LIC-1")
    assert issued is not None
    first.advance(issued, 9)
    loaded = SecretKeys(clock, TTL_S, LICENSES, durable).check(issued.key)
    assert loaded is not None and loaded is not issued
    assert (loaded.license, loaded.issued_at, loaded.expires_at, loaded.consumed) == (
        "LIC-1", issued.issued_at, issued.expires_at, 9)


def test_expiry_is_written_through(durable: DurableState) -> None:
    clock = ManualClock()
    keys = SecretKeys(clock, TTL_S, LICENSES, durable)
    issued = keys.issue("LIC-1")
    assert issued is not None
    clock.advance(TTL_S - 1)
    assert keys.check(issued.key) is issued
    clock.advance(1)
    assert keys.check(issued.key) is None
    assert _rows(durable) == []


def test_instants_keep_their_microseconds_and_offset(durable: DurableState) -> None:
    at = datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=8)))
    saved = SavedKey("k" * 32, "LIC-1", at, at + timedelta(days=7), 0)
    durable.save_key(saved)
    assert durable.keys() == [saved]
