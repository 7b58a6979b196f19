"""The benchmark suite: one command, every figure with its ceiling, its peer and its target.

    PYTHONPATH=src python bench/run.py            # the full suite (~35 min on 2 shared cores)
    PYTHONPATH=src python bench/run.py --quick    # smaller sizes, one run each (~12 min)
    PYTHONPATH=src python bench/run.py --parts api,db --runs 5

Parts (each a script of its own in bench/, run in a child process with ``--json-out``):

speed     validator records/s (validate.py); the synthetic hospital's medium and large day
          through mappings + validation (scale.py --parts growth: rows/s, wall time, peak RSS,
          and the row mix per table of the large day, seed 1)
api       API mode vs the wrk ceiling at concurrency 1/8/16 and vs the integrators' pattern
          with the simulator at 5 ms (delivery.py --parts api,slow)
db        DB mode into PostgreSQL vs COPY (delivery.py --parts db) and vs dlt (peers.py)
realtime  push and polling latency under a 200 records/s T+0 load (realtime.py)
scale     1 vs 2 gateway processes on one PostgreSQL store, the front-end simulator answering
          in 5 ms, 4 requests in flight per process (scale.py --parts workers)
group     a hospital group on one gateway: 30 institutions (--quick: 10) x the small day,
          PostgreSQL store, one hisbridge run, one simulator at 5 ms: rec/s, fairness (spread
          of per-institution completion times), peak RSS, CPU, every record once (group.py)
live      the large day (--quick: medium) live: HIS -> hisbridge run -> front-end simulator,
          PostgreSQL store then SQLite store (--quick: PostgreSQL): wall time, peak RSS, rec/s
soak      the whole demo for 10 minutes (--quick: 3), RSS/fd/socket growth (scripts/soak.py)
profile   pyinstrument over intake and delivery (hotpath.py), kept in bench/results/

Writes ``bench/results/<date>.json`` and ``<date>.md`` (``<date>-quick.*`` with --quick) and
prints the Markdown report. Targets are reported, never asserted. Needs wrk and a PostgreSQL
admin URL in ``HISBRIDGE_TEST_PG`` (default postgres@127.0.0.1:5432); dlt and pyinstrument come
with the bench extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import render

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")
LIMIT_S = {"live": 3600, "soak": 1500, "group": 2400}
"""Seconds a part may run (default 900): the large day live is two whole days' deliveries."""
PARTS = ("speed", "api", "db", "realtime", "scale", "group", "live", "soak", "profile")


def commands(part: str, quick: bool, runs: int, tmp: Path,
             results: Path = HERE / "results") -> list[tuple[str, list[str]]]:
    """(name, argv) of the scripts one part runs; each writes ``tmp/<name>.json``."""
    q = quick
    table: dict[str, list[tuple[str, list[str]]]] = {
        "speed": [
            ("validate", ["validate.py", "--records", "30000" if q else "100000"]),
            ("growth", ["scale.py", "--parts", "growth"]),
        ],
        "api": [("api", ["delivery.py", "--parts", "api,slow", "--records", "1000" if q else "3000",
                         "--seq-records", "100" if q else "300", "--wrk-seconds", "2" if q else "3",
                         "--concurrency", "1", "8", "16", "--slow-concurrency", "16",
                         *([] if q else ["64"])]),
                ("http_clients", ["http_clients.py", "--requests", "1000" if q else "3000"])],
        "db": [("db", ["delivery.py", "--parts", "db", "--db-records", "5000" if q else "20000"]),
               ("dlt", ["peers.py", "--rows", "5000" if q else "20000"])],
        "realtime": [("realtime", ["realtime.py", "--samples", "10" if q else "30"])],
        "scale": [("workers", ["scale.py", "--parts", "workers",
                               "--records", "3000" if q else "10000"])],
        "group": [("group", ["group.py", "--institutions", "10" if q else "30"])],
        "live": [("live", ["live.py", "--scale", "medium" if q else "large",
                           "--stores", "postgresql" if q else "postgresql,sqlite"])],
        "soak": [("soak", [str(HERE.parent / "scripts" / "soak.py"),
                           "--minutes", "3" if q else "10"])],
        "profile": [("profile", ["hotpath.py", "--records", "2000" if q else "5000",
                                 "--out-dir", str(results)])],
    }
    out = []
    for name, argv in table[part]:
        argv = [sys.executable, str(HERE / argv[0]), *argv[1:]]
        if name != "profile":
            flag = "--repeat" if name in ("api", "db") else "--runs"
            argv += [flag, str(runs), "--json-out", str(tmp / f"{name}.json")]
        if name in ("realtime", "live", "soak"):
            argv = argv[:-4] + argv[-2:]  # one long run each, not several runs
        out.append((name, argv))
    if part == "profile" and shutil.which("py-spy"):
        out += pyspy(quick, results)
    return out


def pyspy(quick: bool, results: Path) -> list[tuple[str, list[str]]]:
    """DB mode sampled across all threads (pyinstrument sees the main thread only)."""
    stem = results / f"profile-{datetime.now(UTC).date().isoformat()}-dbmode"
    rows = "5000" if quick else "20000"
    record = ["py-spy", "record", "-r", "250", "--threads", "--format", "raw", "-o",
              f"{stem}.collapsed", "--", sys.executable, str(HERE / "delivery.py"), "--parts",
              "db", "--db-records", rows]
    summary = [sys.executable, str(HERE / "stacks.py"), f"{stem}.collapsed", "--under",
               "drain (", "--top", "70", "--out", f"{stem}.txt"]
    return [("pyspy", record), ("stacks", summary)]


def machine() -> dict[str, Any]:
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), "0")
    return {"nproc": os.cpu_count(), "memory_gib": round(int(memory) / 1024 / 1024, 1),
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "platform": platform.platform(), "python": platform.python_version(),
            "cpu": cpu_model()}


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def run_part(name: str, argv: list[str], tmp: Path) -> dict[str, Any]:
    print(f"\n=== {name}: {' '.join(Path(a).name if a.endswith('.py') else a for a in argv)}",
          flush=True)
    began = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        proc = subprocess.Popen(argv, env={**os.environ, "PYTHONPATH": SRC}, stderr=errors)
        try:
            proc.wait(LIMIT_S.get(name, 900))
        except subprocess.TimeoutExpired:  # SIGINT first: the part stops its own processes
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        errors.seek(0)
        stderr = errors.read()
    took = round(time.monotonic() - began, 1)
    result: dict[str, Any] = {"seconds": took, "exit": proc.returncode}
    out = tmp / f"{name}.json"
    if out.exists():
        result["data"] = json.loads(out.read_text("utf-8"))
    if proc.returncode != 0:
        result["error"] = stderr[-3000:]
        print(stderr[-3000:], file=sys.stderr)
    print(f"=== {name}: {took} s, exit {proc.returncode}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"subset of {','.join(PARTS)}")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3, --quick 1)")
    parser.add_argument("--out-dir", default=str(HERE / "results"))
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    parts = [p for p in args.parts.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {','.join(PARTS)}")
    started = datetime.now(UTC)
    report: dict[str, Any] = {"started": started.isoformat(timespec="seconds"),
                              "mode": "quick" if args.quick else "full", "runs": runs,
                              "machine": machine(), "parts": {}}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hisbridge-suite-") as tmp:
        for part in parts:
            for name, argv in commands(part, args.quick, runs, Path(tmp), Path(args.out_dir)):
                report["parts"][name] = run_part(name, argv, Path(tmp))
    report["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report["wall_s"] = round(time.monotonic() - began, 1)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = started.date().isoformat() + ("-quick" if args.quick else "")
    markdown = render(report)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                      "utf-8")
    (out / f"{stem}.md").write_text(markdown, "utf-8")
    print("\n" + markdown)
    print(f"wrote {out / stem}.json and .md in {report['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
