"""Keep a long-running gateway's memory flat: bound SQLite's heap, give freed C memory back.

A soak of the live demo (``scripts/soak.py --diag parts``) showed where resident memory grows
while Python's own objects stay flat: SQLite's page caches (every pooled connection of every
SQLite engine in the process fills its own cache, 2 MiB each by default) and memory that glibc's
allocator keeps after it was freed (one arena per thread that ever allocated). Both are bounded
in principle but take hours to level off. Two knobs, both best-effort and both no-ops where the
platform does not offer them:

- ``limit_sqlite_heap(mb)`` sets SQLite's process-wide soft heap limit
  (``sqlite3_soft_heap_limit64``): above it SQLite recycles cached pages instead of allocating
  more. Pages are re-read from the operating system's file cache, so the cost is a few syscalls.
- ``cap_malloc_arenas(n)`` caps glibc's arenas (``mallopt(M_ARENA_MAX)``, what the
  ``MALLOC_ARENA_MAX`` environment variable does): by default every thread that allocates under
  contention gets an arena of its own, and the free memory scattered over them is rarely reused
  (in the soak: 10 → 31 MB kept free in 10 minutes with the default, 4 → 7 MB with 2 arenas).
- ``trim_heap()`` calls glibc's ``malloc_trim(0)``, which returns free pages of every arena to
  the operating system; the gateway runs it every ``memory.trim_every_s``.

A debugging aid, not a setting: with ``HISBRIDGE_TRACEMALLOC=<file>`` in its environment the
gateway traces Python's allocations (``tracemalloc``, several times slower) and writes the
biggest holders to ``<file>`` each time the traced total passes its last peak by 10 %, so the
file ends up describing the peak (``trace_peaks_from_env``; docs/benchmarks.md shows a use).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import threading
import time
import tracemalloc
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["MemoryReport", "cap_malloc_arenas", "fix_mmap_threshold", "limit_sqlite_heap",
           "sqlite_heap_bytes", "trace_peaks_from_env", "trim_heap", "trim_loop"]

log = logging.getLogger("hisbridge.memory")


@cache
def _sqlite() -> ctypes.CDLL | None:
    """The SQLite library Python's ``sqlite3`` module uses, when it is a shared library."""
    import sqlite3

    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.sqlite3_libversion.restype = ctypes.c_char_p
        version = lib.sqlite3_libversion()
    except (OSError, AttributeError):
        return None
    if version is None or version.decode() != sqlite3.sqlite_version:
        return None  # a different copy from the one linked into _sqlite3: limits would miss
    lib.sqlite3_soft_heap_limit64.restype = ctypes.c_int64
    lib.sqlite3_soft_heap_limit64.argtypes = [ctypes.c_int64]
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
        lib.malloc_trim.restype = ctypes.c_int
        lib.malloc_trim.argtypes = [ctypes.c_size_t]
        lib.mallopt.restype = ctypes.c_int
        lib.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None
    return lib


_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # from glibc's malloc.h


def cap_malloc_arenas(n: int) -> bool:
    """Let glibc create at most ``n`` malloc arenas from now on (``n`` <= 0: glibc's default,
    eight per core). Call it before threads start; returns whether the cap is in force."""
    lib = _libc()
    if lib is None or n <= 0:
        return False
    return bool(lib.mallopt(_M_ARENA_MAX, n))


def fix_mmap_threshold(kib: int) -> bool:
    """Serve every allocation of ``kib`` KiB or more with its own mapping, returned to the
    operating system when freed (``kib`` <= 0: glibc's default). By default glibc raises the
    threshold each time such a block is freed, up to 32 MiB, after which big transient buffers
    (a poll's rows, a page of results) live in the heap and leave holes there as they grow with
    the day's data."""
    lib = _libc()
    if lib is None or kib <= 0:
        return False
    return bool(lib.mallopt(_M_MMAP_THRESHOLD, kib * 1024))


def limit_sqlite_heap(mb: int) -> bool:
    """Set SQLite's soft heap limit for this process (``mb`` <= 0: leave SQLite's default).

    Returns whether the limit is in force. Safe to call more than once; the last call wins."""
    lib = _sqlite()
    if lib is None:
        return False
    lib.sqlite3_soft_heap_limit64(max(0, mb) * 1024 * 1024)  # 0 switches a set limit off
    return mb > 0


def sqlite_heap_bytes() -> int | None:
    """Bytes SQLite has allocated in this process now, or None when it cannot be read."""
    lib = _sqlite()
    return None if lib is None else int(lib.sqlite3_memory_used())


@dataclass(frozen=True, slots=True)
class MemoryReport:
    trimmed: bool


def trim_heap() -> MemoryReport:
    """Return freed C-heap pages to the operating system (glibc only)."""
    lib = _libc()
    if lib is None:
        return MemoryReport(trimmed=False)
    return MemoryReport(trimmed=bool(lib.malloc_trim(0)))


async def trim_loop(every_s: float) -> None:
    """Run :func:`trim_heap` every ``every_s`` seconds, off the event loop, until cancelled."""
    if every_s <= 0 or _libc() is None:
        return
    while True:
        await asyncio.sleep(every_s)
        try:
            await asyncio.to_thread(trim_heap)
        except Exception as exc:  # never let housekeeping take the gateway down
            log.warning("heap trim failed", extra={"kind": type(exc).__name__})


def trace_peaks_from_env(every_s: float = 1.0) -> threading.Thread | None:
    """With ``HISBRIDGE_TRACEMALLOC=<file>`` set, trace allocations (10 frames) and keep the
    biggest holders at the traced peak in ``<file>``; returns the watching thread, else None."""
    target = os.environ.get("HISBRIDGE_TRACEMALLOC")
    if not target:
        return None
    tracemalloc.start(10)
    watcher = threading.Thread(target=_watch_peaks, args=(Path(target), every_s), daemon=True,
                               name="hisbridge-tracemalloc")
    watcher.start()
    return watcher


def _watch_peaks(path: Path, every_s: float) -> None:
    peak = 0
    while tracemalloc.is_tracing():
        current, _ = tracemalloc.get_traced_memory()
        if current > peak * 1.1:
            peak = current
            partial = path.with_name(path.name + ".part")  # readers never see half a file
            partial.write_text(_top_holders(tracemalloc.take_snapshot(), current), "utf-8")
            partial.replace(path)
        time.sleep(every_s)


def _top_holders(snapshot: tracemalloc.Snapshot, traced: int, top: int = 25) -> str:
    """By source line, then the biggest holders with their call stacks (innermost last)."""
    status = Path("/proc/self/status")
    rss = [line for line in status.read_text().splitlines() if line.startswith("VmRSS")] if (
        status.exists()) else []
    lines = [f"traced {traced / 1e6:.1f} MB at {time.strftime('%H:%M:%S')}; {' '.join(rss)}",
             "", "-- by line"]
    lines += [f"{s.size / 1e6:8.2f} MB {s.count:9,d}  {s.traceback}"
              for s in snapshot.statistics("lineno")[:top]]
    lines += ["", "-- by call stack"]
    for stat in snapshot.statistics("traceback")[:top]:
        lines.append(f"{stat.size / 1e6:8.2f} MB {stat.count:9,d} blocks")
        lines += [f"    {frame.filename}:{frame.lineno}" for frame in stat.traceback]
    return "\n".join(lines) + "\n"
