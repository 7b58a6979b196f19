"""Soak: the live demo at N-times speed for M minutes, sampling memory, fds and sockets.

    PYTHONPATH=src python scripts/soak.py --minutes 10 --speed 5

The demo (synthetic HIS with live activity, front-end / doctor-PC / provincial simulators and
the gateway, all in one process) runs in a child process whose live activity steps ``speed``
times as often as ``hisbridge demo`` does. Every 10 s the parent samples the child's RSS, open
file descriptors and sockets (from /proc). After M minutes the live activity is paused and the
backlog (outbox entries not delivered or dead) must return to zero within 120 s. Growth is the
median of the last three samples against the median of the first three after a one-minute
warm-up; each must stay under 10 %. Exit code 1 when a bound is broken. The result is written
to ``bench/results/soak-<time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import gc
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAUSE = "pause-live"
TERMINAL = ("delivered", "dead", "replayed")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def memory_parts() -> dict[str, float]:
    """What the process's memory is made of, in MB: SQLite's own heap (every connection's
    page cache and statements), the C heap in use and free-but-kept (glibc ``mallinfo2``),
    Python's allocated blocks and live objects. Read from inside the process."""
    sqlite = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    mb = 1024 * 1024
    current, high = ctypes.c_int64(), ctypes.c_int64()
    sqlite.sqlite3_status64(2, ctypes.byref(current), ctypes.byref(high), 0)  # PAGECACHE_OVERFLOW
    parts = {"t": time.monotonic(), "sqlite_mb": sqlite.sqlite3_memory_used() / mb,
             "sqlite_pages_mb": current.value / mb,
             "heap_in_use_mb": (info.uordblks + info.hblkhd) / mb,
             "heap_free_kept_mb": info.fordblks / mb, "arena_mb": info.arena / mb,
             "py_blocks_k": sys.getallocatedblocks() / 1000, "gc_objects_k": len(gc.get_objects()) / 1000}
    if tracemalloc.is_tracing():
        parts["py_traced_mb"] = tracemalloc.get_traced_memory()[0] / mb
    return parts


def _diagnose(out: Path, every_s: float, top: int, warmup_s: float = 90.0) -> None:
    """Write :func:`memory_parts` every ``every_s`` to ``out`` (JSONL); with tracemalloc on,
    also the ``top`` allocation sites that grew most since the first sample after the
    warm-up (the demo builds its hospital and imports most of its code in the first minute)."""
    first: tracemalloc.Snapshot | None = None
    started = time.monotonic()
    while True:
        parts: dict[str, Any] = memory_parts()
        if tracemalloc.is_tracing() and time.monotonic() - started >= warmup_s:
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)])
            if first is None:
                first = snap
            else:
                parts["grew"] = [f"{stat.size_diff / 1024:+.0f} KiB {stat.traceback[0]}"
                                 for stat in snap.compare_to(first, "lineno")[:top]]
        with out.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(parts) + "\n")
        time.sleep(every_s)


def child(data_dir: Path, speed: float, ports: list[int], diag: bool = False,
          trace: bool = False) -> int:
    """Run the demo with live activity ``speed`` times as often; paused by a marker file."""
    from hisbridge.demo import run as demo_module

    if trace:
        tracemalloc.start(1)
    if diag or trace:
        threading.Thread(target=_diagnose, args=(data_dir / "memory.jsonl", 10.0, 15),
                         daemon=True).start()

    async def fast_live(self: Any) -> None:
        while True:
            await asyncio.sleep(3 / speed)
            if not (data_dir / PAUSE).exists():
                await asyncio.to_thread(self.live.step)

    demo_module._Demo._live = fast_live  # type: ignore[attr-defined]
    ports_ = demo_module.DemoPorts(*ports)
    return asyncio.run(demo_module.run_demo(data_dir, ports=ports_, duration=None))


def gateway_child(config: Path, port: int, diag: bool, data_dir: Path) -> int:
    """``hisbridge run`` (the product alone), with the memory diagnostics thread when asked."""
    from hisbridge.logs import configure_logging
    from hisbridge.runtime.gateway import serve

    configure_logging("WARNING")
    if diag:
        threading.Thread(target=_diagnose, args=(data_dir / "memory.jsonl", 10.0, 15),
                         daemon=True).start()
    asyncio.run(serve(config, host="127.0.0.1", port=port))
    return 0


def _china_now() -> datetime:
    """Now on the hospital's wall clock (naive China time, as the simulators keep it)."""
    from hisbridge._clock import CHINA_TZ

    return datetime.now(CHINA_TZ).replace(tzinfo=None)


def _split_project(data_dir: Path, fe_port: int) -> Path:
    """A project like the demo's (fast schedules) for the split run: HIS and front-end are
    separate processes, the gateway stores in SQLite."""
    import yaml

    from hisbridge.project.example import write_example

    config = write_example(data_dir / "project", his_url=f"sqlite:///{data_dir / 'his.db'}",
                           frontend_url=f"http://127.0.0.1:{fe_port}",
                           store_url=f"sqlite:///{data_dir / 'store.db'}", force=True)[0]
    values = yaml.safe_load(config.read_text("utf-8"))
    today = _china_now().replace(hour=0, minute=0, second=0, microsecond=0)
    values["his"].update(realtime_interval_s=3, t0_cron="", t0_interval_s=15,
                         initial_since=(today - timedelta(days=1)).isoformat())
    values["frontend"]["license"] = "SIM-LICENSE-0001"
    # The synthetic day has a few daily-course notes whose first-course note predates it: they
    # wait for that parent for parent_wait_s, then go anyway. 30 s keeps the drain check short.
    values.setdefault("delivery", {})["parent_wait_s"] = 30
    config.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False), "utf-8")
    return config


def _start_split(data_dir: Path, speed: float, ports: list[int], diag: str,
                 env: dict[str, str], log: Any) -> tuple[subprocess.Popen[bytes], list[Any]]:
    """HIS (live, ``speed`` times the demo's step rate) and front-end simulator in their own
    processes; the gateway in the returned one."""
    def hisbridge(*args: str) -> list[str]:
        return [sys.executable, "-m", "hisbridge", *args]

    his_url = f"sqlite:///{data_dir / 'his.db'}"
    quiet = {"stdout": log, "stderr": subprocess.STDOUT, "env": env}
    yesterday = (_china_now() - timedelta(days=1)).date().isoformat()  # as the demo: a full
    subprocess.run(hisbridge("simulate", "his", "--db", his_url, "--reset",  # day, then live
                             "--date", yesterday), check=True, **quiet)
    others = [subprocess.Popen(hisbridge("simulate", "his", "--db", his_url, "--live",
                                         "--interval", str(3 / speed)), **quiet),
              subprocess.Popen(hisbridge("simulate", "frontend", "--port", str(ports[1]),
                                         "--lenient", "--store",
                                         f"sqlite:///{data_dir / 'frontend.db'}"), **quiet)]
    config = _split_project(data_dir, ports[1])
    diag_flag = [f"--diag={diag}"] if diag else []
    gateway = subprocess.Popen([sys.executable, __file__, "--gateway-child", str(config),
                                "--ports", str(ports[0]), "--child", str(data_dir), *diag_flag],
                               **quiet)
    return gateway, others


def sample(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss_kb = int(fields["VmRSS"].split()[0])
    threads = int(fields["Threads"])
    fds = os.listdir(f"/proc/{pid}/fd")
    sockets = 0
    for fd in fds:
        try:
            sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    def mb(key: str) -> float:
        return int(fields[key].split()[0]) / 1024 if key in fields else 0.0

    return {"t": time.monotonic(), "rss_mb": rss_kb / 1024, "fds": len(fds), "sockets": sockets,
            "threads": threads, "rss_anon_mb": mb("RssAnon"), "rss_file_mb": mb("RssFile"),
            "rss_shmem_mb": mb("RssShmem")}


def backlog(store: Path) -> int:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10) as db:
        marks = ",".join("?" * len(TERMINAL))
        return int(db.execute(f"SELECT COUNT(*) FROM outbox WHERE state NOT IN ({marks})",
                              TERMINAL).fetchone()[0])


def counts(store: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10) as db:
        return dict(db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())


def growth(samples: list[dict[str, float]], key: str, warmup_s: float) -> float:
    start = samples[0]["t"] + warmup_s
    settled = [s[key] for s in samples if s["t"] >= start] or [s[key] for s in samples]
    first, last = statistics.median(settled[:3]), statistics.median(settled[-3:])
    return (last - first) / first if first else 0.0


def run(minutes: float, speed: float, every_s: float = 10.0, diag: str = "",
        split: bool = False) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="hisbridge-soak-"))
    from hisbridge.testing.receiver import free_ports

    ports = free_ports(4)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    log = (data_dir / "soak-child.log").open("wb")
    others: list[Any] = []
    if split:
        proc, others = _start_split(data_dir, speed, ports, diag, env, log)
    else:
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(data_dir), "--speed",
                                 str(speed), "--ports", ",".join(map(str, ports))]
                                + ([f"--diag={diag}"] if diag else []),
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    samples: list[dict[str, float]] = []
    result: dict[str, Any] = {"minutes": minutes, "speed": speed, "data_dir": str(data_dir),
                              "measured": "hisbridge run alone" if split else "the whole demo"}
    try:
        time.sleep(15)  # build the hospital and start the servers
        end = time.monotonic() + minutes * 60
        while time.monotonic() < end and proc.poll() is None:
            samples.append(sample(proc.pid))
            print(json.dumps(samples[-1]), flush=True)
            time.sleep(every_s)
        (data_dir / PAUSE).touch()
        if others:  # split: stop the HIS's live activity
            others[0].send_signal(signal.SIGINT)
            others[0].wait(30)
        started = time.monotonic()
        drained = False
        while time.monotonic() - started < 120 and proc.poll() is None:
            if backlog(data_dir / "store.db") == 0:
                drained = True
                break
            time.sleep(1)
        result.update(drained=drained, drain_s=round(time.monotonic() - started, 1),
                      outbox=counts(data_dir / "store.db"), samples=len(samples),
                      child_alive=proc.poll() is None)
    finally:
        for other in others:
            if other.poll() is None:
                other.send_signal(signal.SIGINT)
                other.wait(30)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
    warmup = 60.0 if minutes > 2 else 0.0
    for key in ("rss_mb", "fds", "sockets", "threads", "rss_anon_mb", "rss_file_mb",
                "rss_shmem_mb"):
        result[f"{key}_growth"] = round(growth(samples, key, warmup), 3) if samples else None
        result[f"{key}_first_last"] = [round(samples[0][key], 1), round(samples[-1][key], 1)] \
            if samples else None
    if diag:
        result["memory_parts"] = _parts_summary(data_dir / "memory.jsonl", warmup)
    result["ok"] = bool(samples) and result["drained"] and all(
        (result[f"{k}_growth"] or 0) < 0.10 for k in ("rss_mb", "fds", "sockets"))
    return result


def _parts_summary(path: Path, warmup_s: float) -> dict[str, Any]:
    """First (after warm-up) and last value of every memory part the child wrote."""
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    if not rows:
        return {}
    settled = [r for r in rows if r["t"] >= rows[0]["t"] + warmup_s] or rows
    summary: dict[str, Any] = {
        key: [round(settled[0][key], 1), round(settled[-1][key], 1)]
        for key in settled[0] if key not in ("t", "grew")}
    if "grew" in rows[-1]:
        summary["grew_since_start"] = rows[-1]["grew"]
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=5.0)
    parser.add_argument("--split", action="store_true",
                        help="measure `hisbridge run` alone: the HIS (live) and the front-end "
                             "simulator run in processes of their own")
    parser.add_argument("--gateway-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ports", default="", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", type=Path, help="also write the result to this file")
    parser.add_argument("--diag", choices=["parts", "trace"], default="",
                        help="inside the demo, record what memory is made of every 10 s "
                             "(SQLite heap, C heap in use / kept free, Python blocks); 'trace' "
                             "adds tracemalloc and the allocation sites that grew (slower)")
    args = parser.parse_args()
    if args.gateway_child:
        return gateway_child(args.gateway_child, int(args.ports), bool(args.diag), args.child)
    if args.child:
        sys.path.insert(0, str(ROOT / "src"))
        return child(args.child, args.speed, [int(p) for p in args.ports.split(",")],
                     diag=bool(args.diag), trace=args.diag == "trace")
    result = run(args.minutes, args.speed, diag=args.diag, split=args.split)
    result["when"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"soak-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2), "utf-8")
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2), "utf-8")
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
