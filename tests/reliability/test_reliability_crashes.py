"""The gateway SIGKILLed three times at seeded moments during a push run: nothing lost.

CI size: 2,000 records; ``scripts/reliability.py`` runs 50,000.
"""

from __future__ import annotations

from pathlib import Path

from crash_faults import run_crashes


def test_three_sigkills_during_a_push_run_lose_nothing(tmp_path: Path) -> None:
    figures = run_crashes(tmp_path, 2000, kills=3, seed=10, deadline_s=150)
    assert figures.lost == [], figures.as_dict()
    assert figures.delivered == figures.records_in == 2000, figures.as_dict()
    assert figures.dead == {}, figures.as_dict()
    assert len(figures.notes[-1].split(",")) == 3, figures.notes  # three restarts happened
