"""Scale: 1 vs 2 gateway processes on one PostgreSQL store; medium vs large day extraction.

    PYTHONPATH=src python bench/scale.py [--records 10000] [--runs 3] [--parts workers,growth]
                                         [--json-out FILE]

workers: ``--records`` patient records are accepted into a fresh PostgreSQL store, then one or
two ``hisbridge run -c FILE`` processes (as ``tests/e2e/test_delivery_processes.py`` starts
them, same config, message poller off) deliver them to the front-end simulator in its own
process (``hisbridge simulate frontend``, ``bench/frontend_sim.py``) answering each request
after ``--latency-ms`` (default 5), each gateway with ``frontend.concurrency`` bounded to
``--concurrency`` (default 4: at most 800 records/s per process at 5 ms, so the target and not
the two shared cores is the limit). Records/s is counted at the simulator from its first request
to its last (process start-up excluded); none missing = the simulator's rows equal the records,
none twice = its data requests equal them too.

growth: ``bench/extract.py`` (synthetic SQLite HIS -> mappings -> validation, counting intake)
on the ``medium`` and the ``large`` day, each in its own process: wall time, rows/s and peak
RSS. Linear time means rows/s stays level; flat memory means peak RSS does not grow with the day.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from hisbridge.dictionary import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.testing import sample_record, secret_env

sys.path.insert(0, str(Path(__file__).resolve().parent))

from frontend_sim import free_port, frontend_simulator, received, requests_so_far, stop

HERE = Path(__file__).resolve().parent
SRC = str(HERE.parent / "src")
PG_ADMIN = os.environ.get("HISBRIDGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}



def scratch_db() -> tuple[str, Engine, str]:
    name = f"hbscale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, admin, name


def accept_patients(engine: Engine, n: int) -> None:
    intake = StoreIntake(engine, Validator("lenient"))
    for start in range(0, n, 2000):
        rows = [sample_record("emr_patient_info", f"p{i}", serial=i)
                for i in range(start, min(n, start + 2000))]
        intake.accept("emr_patient_info", rows, source="bench")



def start_gateway(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **secret_env(), "PYTHONPATH": SRC}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c", str(config),
                                 "--port", str(free_port())], stdout=out, stderr=out, env=env)



def workers_once(processes: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One run: ``processes`` gateways drain ``args.records`` records from one fresh PostgreSQL
    store into the front-end simulator answering in ``args.latency_ms``."""
    n = args.records
    url, admin, name = scratch_db()
    try:
        engine = make_engine(url)
        upgrade(engine)
        accept_patients(engine, n)
        engine.dispose()
        with frontend_simulator(folder, latency_ms=args.latency_ms) as frontend_url:
            config = folder / f"gw-{name}.yaml"
            config.write_text(f"store:\n  url: {url}\nfrontend:\n  base_url: {frontend_url}\n"
                              f"  concurrency: {args.concurrency}\ndelivery:\n  batch_size: 200\n"
                              "interaction:\n  poller:\n    enabled: false\n", "utf-8")
            gateways = [start_gateway(config, folder / f"{name}-{i}.log")
                        for i in range(processes)]
            try:
                rate = drain_rate(frontend_url, n, gateways)
                time.sleep(1)  # anything sent twice would arrive now
                got = received(frontend_url)
            finally:
                for gateway in gateways:
                    stop(gateway)
        return {"processes": processes, "delivered": got.rows, "expected": n,
                "duplicates": max(got.requests - n, 0), "rate": rate}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def drain_rate(frontend_url: str, n: int, gateways: list[subprocess.Popen[bytes]]) -> float:
    """Records/s at the simulator from its first request seen to its ``n``-th (start-up out)."""
    first: tuple[float, int] | None = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        count, now = requests_so_far(frontend_url), time.monotonic()
        if count and first is None:
            first = (now, count)
        if count >= n and first is not None:
            return (n - first[1]) / max(now - first[0], 1e-3)
        if any(g.poll() is not None for g in gateways):
            raise RuntimeError("a gateway exited early")
        time.sleep(0.1)
    raise RuntimeError(f"not every record arrived within 600 s ({n} expected)")


def workers(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"records": args.records, "latency_ms": args.latency_ms,
                              "concurrency": args.concurrency}
    with tempfile.TemporaryDirectory(prefix="hisbridge-scale-") as tmp:
        for processes in (1, 2):
            runs = [workers_once(processes, args, Path(tmp)) for _ in range(args.runs)]
            result[str(processes)] = {"rate": spread([r["rate"] for r in runs]),
                                      "duplicates": sum(r["duplicates"] for r in runs),
                                      "missing": sum(r["expected"] - r["delivered"]
                                                     for r in runs)}
            print(f"{processes} process(es): {result[str(processes)]['rate']['median']:,.0f} "
                  f"rec/s, duplicates {result[str(processes)]['duplicates']}, "
                  f"missing {result[str(processes)]['missing']}", flush=True)
    result["ratio"] = result["2"]["rate"]["median"] / result["1"]["rate"]["median"]
    return result


def extract_once(scale: str, folder: Path) -> dict[str, Any]:
    out = folder / f"extract-{scale}-{uuid.uuid4().hex[:6]}.json"
    subprocess.run([sys.executable, str(HERE / "extract.py"), "--scale", scale, "--his", "sqlite",
                    "--intake", "counting", "--json-out", str(out)],
                   check=True, env={**os.environ, "PYTHONPATH": SRC}, stdout=subprocess.DEVNULL)
    return dict(json.loads(out.read_text("utf-8")))


def growth(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hisbridge-growth-") as tmp:
        for scale in ("medium", "large"):
            runs = [extract_once(scale, Path(tmp)) for _ in range(args.runs)]
            result[scale] = {key: spread([float(r[key]) for r in runs])
                             for key in ("wall_s", "records_per_s", "peak_rss_mb",
                                         "his_build_s")}
            result[scale] |= {"rows_read": runs[0]["rows_read"],
                              "accepted": runs[0]["accepted"],
                              "per_table_rows": runs[0]["per_table_rows"]}
            print(f"{scale}: {runs[0]['rows_read']:,} rows, wall "
                  f"{result[scale]['wall_s']['median']:.1f} s, "
                  f"{result[scale]['records_per_s']['median']:,.0f} rows/s, peak RSS "
                  f"{result[scale]['peak_rss_mb']['median']:.0f} MB", flush=True)
    medium, large = result["medium"], result["large"]
    result["rows_ratio"] = large["rows_read"] / medium["rows_read"]
    result["time_ratio"] = large["wall_s"]["median"] / medium["wall_s"]["median"]
    result["rss_ratio"] = large["peak_rss_mb"]["median"] / medium["peak_rss_mb"]["median"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=5.0,
                        help="the simulator's latency per request (workers)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="frontend.concurrency of each gateway (workers)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parts", default="workers,growth")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    if "workers" in args.parts:
        report["workers"] = workers(args)
    if "growth" in args.parts:
        report["growth"] = growth(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
