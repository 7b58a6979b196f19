"""The front-end simulator's own ceiling: records/s it accepts when wrk drives it.

Starts ``hisbridge simulate frontend`` (lenient, SQLite in a temp dir, uvicorn with
uvloop/httptools) on a free loopback port, runs wrk with ``bench/lua/post_record.lua`` (one
realistic emr_patient_info record per request, unique ids) at each concurrency, several runs
each, checks that the store holds every accepted record, prints median/min/max records/s and
writes the figures to ``bench/results/simulator_ceiling-<time>.json``.

    python bench/simulator_ceiling.py [--concurrency 1 4 16] [--runs 3] [--duration 10]

Needs ``wrk`` (Debian: ``apt-get install -y wrk``). The delivery benchmark compares itself
to these figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "lua" / "post_record.lua"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(port: int, store_dir: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "hisbridge", "simulate", "frontend", "--port", str(port),
           "--lenient", "--store", f"sqlite:///{store_dir}/sim.sqlite", "--reset"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            get_json(port, "/sim/tables")
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"simulator did not start: {proc.stderr.read().decode() if proc.stderr else ''}")


def get_json(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
        return json.load(reply)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    port: int, pid: int, connections: int, args: argparse.Namespace, tag: str
) -> dict[str, Any]:
    """One wrk run; also the simulator's CPU time per accepted record, which does not
    depend on how busy the rest of the machine is."""
    threads = min(connections, args.wrk_threads)
    duration = args.duration
    cpu_before = cpu_seconds(pid)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", str(LUA),
           f"http://127.0.0.1:{port}", "--", tag]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in reversed(out.splitlines()) if ln.startswith("{"))
    result: dict[str, Any] = json.loads(line)
    result["records_per_s"] = result["accepted"] / (result["duration_us"] / 1e6)
    cpu = cpu_seconds(pid) - cpu_before
    result["server_cpu_s"] = cpu
    result["records_per_cpu_s"] = result["accepted"] / cpu if cpu else None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--wrk-threads", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    port = free_port()
    with tempfile.TemporaryDirectory() as store_dir:
        proc = start_simulator(port, store_dir)
        try:
            report = measure(port, proc.pid, args)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    write(report)


def measure(port: int, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()
    levels: dict[str, Any] = {}
    accepted_total = 0
    for c in args.concurrency:
        runs = [run_wrk(port, pid, c, args, f"c{c}r{i}") for i in range(args.runs)]
        accepted_total += sum(r["accepted"] for r in runs)
        rates = [r["records_per_s"] for r in runs]
        per_cpu = statistics.median(r["records_per_cpu_s"] or 0 for r in runs)
        levels[str(c)] = {"median": statistics.median(rates), "min": min(rates),
                          "max": max(rates), "records_per_cpu_s": per_cpu, "runs": runs}
        print(f"concurrency {c:>3}: median {levels[str(c)]['median']:8.0f} records/s "
              f"(min {min(rates):.0f}, max {max(rates):.0f}; "
              f"p99 latency {statistics.median(r['latency_p99_us'] for r in runs) / 1000:.1f} ms;"
              f" {per_cpu:.0f} records per server CPU-second)")
    time.sleep(0.3)  # let the last batch commit
    stored = get_json(port, "/sim/tables")["emr_patient_info"]
    print(f"stored {stored} records, accepted {accepted_total}")
    return {"benchmark": "simulator_ceiling", "at": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform(), "load_before": load_before},
            "settings": {"mode": "lenient", "store": "sqlite", "runs": args.runs,
                         "duration_s": args.duration, "payload": "emr_patient_info (camelCase)"},
            "stored": stored, "accepted": accepted_total, "concurrency": levels}


def write(report: dict[str, Any]) -> None:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"simulator_ceiling-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
