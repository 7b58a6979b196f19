"""Table test of flows.md §3.1: every (state, event) pair is either allowed or refused."""

from __future__ import annotations

import itertools

import pytest

from hisbridge.sharing.consent.states import (
    OPEN,
    TERMINAL,
    Event,
    Status,
    TransitionRefused,
    next_status,
    reconcile,
)

S, E = Status, Event
ALLOWED = {
    (S.NONE, E.CREATE): S.PENDING,
    (S.PENDING, E.GRANT): S.GRANTED,
    (S.PENDING, E.DENY): S.DENIED,
    (S.PENDING, E.EXPIRE): S.EXPIRED,
    (S.PENDING, E.CANCEL): S.CANCELLED,
    (S.GRANTED, E.EXPIRE): S.EXPIRED,
    (S.GRANTED, E.REVOKE): S.REVOKED,
    (S.GRANTED, E.CLOSE): S.CLOSED,
}
EVERY_PAIR = list(itertools.product(Status, Event))


@pytest.mark.parametrize(("state", "event"), EVERY_PAIR, ids=lambda v: str(v.value))
def test_every_transition(state: Status, event: Event) -> None:
    if (state, event) in ALLOWED:
        assert next_status(state, event) is ALLOWED[(state, event)]
    else:
        with pytest.raises(TransitionRefused) as refused:
            next_status(state, event)
        assert refused.value.current is state and refused.value.event is event
        assert "不允许" in refused.value.message


def test_table_covers_all_pairs() -> None:
    assert len(EVERY_PAIR) == 8 * 7 and len(ALLOWED) == 8


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_terminal_states_accept_nothing(terminal: Status) -> None:
    for event in Event:
        with pytest.raises(TransitionRefused):
            next_status(terminal, event)


def test_open_and_terminal_partition_stored_states() -> None:
    assert OPEN | TERMINAL == set(Status) - {Status.NONE} and not OPEN & TERMINAL


@pytest.mark.parametrize(
    ("local", "remote", "changed", "conflict"),
    [
        (S.PENDING, S.PENDING, False, False),
        (S.PENDING, S.GRANTED, True, False),
        (S.GRANTED, S.REVOKED, True, False),
        (S.PENDING, S.REVOKED, True, True),  # missed the grant: platform still wins
        (S.CANCELLED, S.GRANTED, True, True),
        (S.EXPIRED, S.EXPIRED, False, False),
    ],
)
def test_reconcile_platform_wins(
    local: Status, remote: Status, changed: bool, conflict: bool
) -> None:
    result = reconcile(local, remote)
    assert (result.status, result.changed, result.conflict) == (remote, changed, conflict)
