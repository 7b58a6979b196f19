"""bench/report.py judges issue 19's live-day and scale targets from measured figures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _report_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_report", module)
    spec.loader.exec_module(module)
    return module


def _live_run(**changes: Any) -> dict[str, Any]:
    run = {"store": "postgresql", "expected": 1000, "rows": 1000, "requests": 1000,
           "queued": 1000, "missing": 0, "sent_twice": 0, "wall_s": 200.0, "rate": 5,
           "peak_rss_mb": 200}
    return run | changes


def _report(runs: list[dict[str, Any]], ratio: float) -> dict[str, Any]:
    live = {"scale": "large", "corrections": 0.0, "expected": 1000, "postgresql": runs}
    workers = {"records": 1000, "latency_ms": 5.0, "concurrency": 4, "ratio": ratio,
               "1": {"rate": {"median": 500, "min": 500, "max": 500}, "duplicates": 0,
                     "missing": 0},
               "2": {"rate": {"median": 500 * ratio, "min": 1, "max": 1000}, "duplicates": 0,
                     "missing": 0}}
    machine = {"nproc": 2, "cpu": "test", "memory_gib": 1, "python": "3.11", "platform": "x",
               "load_before": [1.0, 1.0, 1.0]}
    return {"started": "2026-12-05T00:00:00", "mode": "quick", "runs": 1, "machine": machine,
            "parts": {"live": {"exit": 0, "data": live},
                      "workers": {"exit": 0, "data": {"workers": workers}}}}


def test_live_day_is_met_only_fast_small_and_once() -> None:
    report = _report_module()
    runs = [_live_run(), _live_run(wall_s=301.0), _live_run(peak_rss_mb=250),
            _live_run(sent_twice=1)]
    rows = [row for row in report.live_day(_report(runs, 1.0)) if row is not None]
    assert [met for _, _, met in rows] == [True, False, False, False]
    assert "NOT once" in rows[3][1]


def test_scale_target_is_issue_19s_and_the_report_shows_the_bound() -> None:
    report = _report_module()
    text = report.render(_report([_live_run()], 1.79))
    assert "| 2 processes ≥ 1.8x one at 5 ms | 1.79x | **missed** |" in text
    assert "answering in 5 ms, 4 requests in flight per process" in text
    assert "| postgresql | 1,000 / 1,000 | 1,000 | 0 | 0 | 200.0 |" in text
    met = report.render(_report([_live_run()], 1.8))
    assert "| 2 processes ≥ 1.8x one at 5 ms | 1.80x | met |" in met
