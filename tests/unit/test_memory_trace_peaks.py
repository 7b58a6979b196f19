"""``HISBRIDGE_TRACEMALLOC=<file>``: the debugging aid that writes the biggest Python holders at
the traced peak (how the live day's peak RSS was taken apart)."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from hisbridge.runtime.memory import trace_peaks_from_env


def test_nothing_is_traced_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HISBRIDGE_TRACEMALLOC", raising=False)
    assert trace_peaks_from_env() is None
    assert not tracemalloc.is_tracing()


def test_the_file_names_the_line_holding_the_most(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "peaks.txt"
    monkeypatch.setenv("HISBRIDGE_TRACEMALLOC", str(out))
    watcher = trace_peaks_from_env(every_s=0.02)
    assert watcher is not None
    try:
        held = [bytes(100_000) for _ in range(80)]  # 8 MB on one line: the biggest holder
        deadline = time.monotonic() + 10
        while "test_memory_trace_peaks.py" not in _biggest(out) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        tracemalloc.stop()
        watcher.join(5)
    biggest = _biggest(out)
    assert "test_memory_trace_peaks.py" in biggest and float(biggest.split()[0]) >= 8.0
    assert "-- by call stack" in out.read_text("utf-8") and len(held) == 80
    assert not watcher.is_alive()


def _biggest(out: Path) -> str:
    """The first line of the file's "by line" part (the biggest holder), once written."""
    text = out.read_text("utf-8") if out.exists() else ""
    return text.split("-- by line\n")[1].split("\n", 1)[0] if "-- by call stack" in text else ""
