"""Table test of the pure reconciliation rule."""

from __future__ import annotations

import pytest

from hisbridge.reconcile import compare, totals

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
