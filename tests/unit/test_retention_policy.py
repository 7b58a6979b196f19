"""The retention policy, pure: cutoffs from settings and the verdict on one outbox entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hisbridge.settings import RetentionSettings
from hisbridge.store import outbox as queue
from hisbridge.store.retention.policy import (
    TERMINAL_STATES,
    EntryFacts,
    attempts_going,
    cutoffs,
    entry_prunable,
    state_cutoff,
)
from hisbridge.store.schema.outbox import OUTBOX_STATES
from hisbridge.testing import ManualClock

NOW = ManualClock().now()  # 2026-01-01 08:00 China time = 00:00 UTC
LIMITS = cutoffs(RetentionSettings(), NOW)
OLD = NOW - timedelta(days=400)


def test_every_outbox_state_is_either_finished_or_queued() -> None:
    unfinished = set(queue._UNFINISHED)
    assert set(TERMINAL_STATES) | unfinished == set(OUTBOX_STATES)
    assert not set(TERMINAL_STATES) & unfinished
    assert all(state_cutoff(LIMITS, s) is None for s in unfinished)


def test_cutoffs_count_days_back_from_now_in_utc_and_zero_keeps_forever() -> None:
    assert LIMITS.delivered == datetime(2025, 10, 3, tzinfo=UTC)
    assert LIMITS.dead == datetime(2025, 1, 1, tzinfo=UTC)
    assert LIMITS.actions is None  # console actions: kept unless told otherwise
    forever = cutoffs(RetentionSettings(delivered_days=0, dead_days=0), NOW)
    assert state_cutoff(forever, "delivered") is None and state_cutoff(forever, "dead") is None


@pytest.mark.parametrize(("days", "first_kept"), [(7, "2025-12-26"), (1, "2025-12-31"),
                                                  (2, "2025-12-31"), (0, None)])
def test_seen_keys_keep_at_least_yesterday_and_today(days: int, first_kept: str | None) -> None:
    assert cutoffs(RetentionSettings(seen_keys_days=days), NOW).seen_keys_day == first_kept


def facts(state: str = "delivered", finished: datetime | None = OLD, version: int = 1,
          latest: int | None = 2, newer: bool = True, replayed_by: bool = False) -> EntryFacts:
    return EntryFacts(state, finished, version, latest, newer, replayed_by, 3, 2)


@pytest.mark.parametrize(("case", "prunable"), [
    (facts(), True),
    (facts(state="dead", newer=False), True),
    (facts(finished=NOW - timedelta(days=89)), False),  # younger than delivered_days
    (facts(state="dead", finished=NOW - timedelta(days=300)), False),  # dead: a year
    (facts(version=2), False),  # the newest version
    (facts(latest=None), False),  # no record_keys row: do not guess
    (facts(newer=False), False),  # the last delivered entry: children wait on it
    (facts(replayed_by=True), False),  # a replay points to it
    (facts(finished=None), False),
    *((facts(state=s), False) for s in queue._UNFINISHED),
])
def test_entry_verdicts(case: EntryFacts, prunable: bool) -> None:
    assert entry_prunable(case, LIMITS) is prunable


def test_attempts_going_with_an_entry_leave_out_what_the_history_pass_took() -> None:
    assert attempts_going(facts(), LIMITS) == 1  # 3 attempts, 2 already old enough
    assert attempts_going(facts(state="dead"), LIMITS) == 3  # dead letters keep history
    no_history = cutoffs(RetentionSettings(attempts_days=0), NOW)
    assert attempts_going(facts(), no_history) == 3


@pytest.mark.parametrize("name", ["hisbridge.store.retention", "hisbridge.store.retention.entries",
                                  "hisbridge.store.retention.policy",
                                  "hisbridge.store.retention.tables", "hisbridge.cli.prune"])
def test_all_is_sorted_and_importable(name: str) -> None:
    import importlib

    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=lambda n: (0 if n.isupper() else
                                                       1 if n[:1].isupper() else 2, n))
    assert all(hasattr(module, symbol) for symbol in exported)
