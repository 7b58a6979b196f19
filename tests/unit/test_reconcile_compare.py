"""Table test of the pure reconciliation rule."""

from __future__ import annotations

import pytest

from hisbridge.sources.reconcile import compare, totals

CASES = [
    # source keys, store states, expected (accepted, delivered, pending, dead, quarantined, missing)
    (["a", "b"], {"a": "delivered", "b": "delivered"}, (2, 2, 0, 0, 0, 0)),
    (["a", "b", "c"], {"a": "delivered"}, (1, 1, 0, 0, 0, 2)),
    (["a", "b"], {"a": "pending", "b": "dead"}, (2, 0, 1, 1, 0, 0)),
    (["a"], {"a": "quarantined"}, (0, 0, 0, 0, 1, 0)),
    ([], {"x": "delivered"}, (0, 0, 0, 0, 0, 0)),  # a store key the HIS no longer has
    (["a", "a"], {}, (0, 0, 0, 0, 0, 1)),  # duplicates count once
]


@pytest.mark.parametrize(("keys", "states", "expected"), CASES)
def test_compare(keys: list[str], states: dict[str, str], expected: tuple[int, ...]) -> None:
    line = compare("emr_ex_lab", keys, states)  # type: ignore[arg-type]
    got = (line.accepted, line.delivered, line.pending, line.dead, line.quarantined, line.missing)
    assert got == expected
    assert line.source == len(set(keys))
    assert line.complete == (line.missing == line.dead == line.quarantined == 0)


def test_missing_ids_are_capped_and_sorted() -> None:
    line = compare("emr_order", [f"k{i:03d}" for i in range(80)], {})
    assert line.missing == 80 and line.missing_ids == [f"k{i:03d}" for i in range(50)]
    assert totals([line, line])["missing"] == 160


SEEN_CASES = [
    # source keys, store states, keys sent for the day, expected (withdrawn, missing, frontend_only)
    (["a"], {"a": "delivered", "b": "delivered"}, ["a", "b"], (0, 0, 1)),  # b deleted outright
    (["a"], {"a": "delivered", "b": "pending"}, ["a", "b"], (0, 0, 1)),  # on its way there
    (["a"], {"a": "delivered", "b": "deleted"}, ["a", "b"], (0, 0, 0)),  # its delete is queued
    (["a"], {"a": "delivered", "b": "dead"}, ["a", "b"], (0, 0, 0)),  # never reached it
    (["a", "c"], {"a": "withdrawn", "c": "deleted"}, [], (1, 1, 0)),  # c came back: resend
]


@pytest.mark.parametrize(("keys", "states", "seen", "expected"), SEEN_CASES)
def test_withdrawn_and_frontend_only(keys: list[str], states: dict[str, str], seen: list[str],
                                     expected: tuple[int, int, int]) -> None:
    line = compare("emr_ex_lab_item", keys, states, seen)  # type: ignore[arg-type]
    assert (line.withdrawn, line.missing, line.frontend_only) == expected
    assert line.complete == (line.missing == line.frontend_only == 0)
