"""The HIS source database (PostgreSQL) unreachable for a while, then back."""

from __future__ import annotations

from pathlib import Path

import pytest
from source_faults import run_source_outage

pytestmark = pytest.mark.services


def test_an_unreachable_his_moves_no_watermark_and_is_caught_up(tmp_path: Path,
                                                                 pg_url: str) -> None:
    figures = run_source_outage(tmp_path, pg_url, visits=30, outage_polls=2)
    assert figures.lost == [], figures.as_dict()
    assert figures.delivered == figures.records_in > 0
    assert "watermarks moved: none" in figures.notes[0], figures.notes
    assert "caught up in 1 poll round" in " ".join(figures.notes), figures.notes
