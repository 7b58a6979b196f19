"""Memory hygiene of a long-running gateway: SQLite's heap is bounded, freed C memory returned."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hisbridge.runtime import memory


@pytest.fixture
def big_db(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB SQLite file, so that reading it all would fill page caches past 8 MiB."""
    path = tmp_path / "big.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        db.executemany("INSERT INTO t (body) VALUES (?)", (("x" * 1000,) for _ in range(24_000)))
    yield path
    memory.limit_sqlite_heap(0)


def _read_with_connections(path: Path, n: int) -> int:
    """Open ``n`` connections with 16 MiB caches each, scan the table on all, return how much
    SQLite's heap grew while they are still open (other tests' connections share the heap)."""
    before = memory.sqlite_heap_bytes()
    assert before is not None
    conns = [sqlite3.connect(path) for _ in range(n)]
    try:
        for conn in conns:
            conn.execute("PRAGMA cache_size=-16384")
            conn.execute("SELECT sum(length(body)) FROM t").fetchone()
        used = memory.sqlite_heap_bytes()
        assert used is not None
        return used - before
    finally:
        for conn in conns:
            conn.close()


def test_without_a_limit_every_connection_fills_its_own_cache(big_db: Path) -> None:
    memory.limit_sqlite_heap(0)
    assert _read_with_connections(big_db, 3) > 40 * 1024 * 1024


def test_the_soft_heap_limit_bounds_all_connections_together(big_db: Path) -> None:
    assert memory.limit_sqlite_heap(8)
    used = _read_with_connections(big_db, 3)
    assert used < 12 * 1024 * 1024, f"SQLite holds {used / 2**20:.1f} MiB above an 8 MiB limit"


def test_a_zero_limit_switches_a_set_limit_off(big_db: Path) -> None:
    memory.limit_sqlite_heap(8)
    assert memory.limit_sqlite_heap(0) is False
    assert _read_with_connections(big_db, 3) > 40 * 1024 * 1024


def test_trim_heap_reports_whether_memory_was_returned() -> None:
    blocks = [bytearray(64 * 1024) for _ in range(500)]  # 32 MiB through malloc
    del blocks
    assert memory.trim_heap().trimmed is True  # glibc on every machine this project runs


async def test_trim_loop_with_zero_period_returns_at_once() -> None:
    await memory.trim_loop(0)


def test_malloc_arenas_can_be_capped_and_zero_leaves_glibc_default() -> None:
    assert memory.cap_malloc_arenas(0) is False
    assert memory.cap_malloc_arenas(8) is True  # glibc on every machine this project runs


def test_a_fixed_mmap_threshold_gives_big_blocks_back_when_freed() -> None:
    assert memory.fix_mmap_threshold(0) is False
    assert memory.fix_mmap_threshold(128) is True
