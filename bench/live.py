"""A live day: the synthetic hospital's HIS -> ``hisbridge run`` -> the front-end simulator.

    PYTHONPATH=src python bench/live.py [--scale large] [--stores postgresql,sqlite]
                                        [--concurrency 16] [--json-out FILE]

No estimate: the day is built once (``hisbridge simulate his``, seed 1, SQLite HIS), its
accepted count is taken by ``bench/extract.py`` (the worked example's mappings and validation,
counting intake), then for each store a project is written by ``hisbridge init`` (the HIS, the
simulator, the store: a fresh PostgreSQL database from ``HISBRIDGE_TEST_PG`` or a SQLite file),
with every table polled every second (``realtime_interval_s: 1``, ``t0_interval_s: 1``), the
message poller off and the 粤健通 sharing hooks off unless ``--gdhealth`` (their encounter
hook writes to the store on the event loop, one transaction per visit, and stalls delivery
while a day's visits arrive: see docs/benchmarks.md). ``hisbridge run`` is started as a user
starts it; the front-end simulator (``hisbridge simulate frontend``) runs in its own process.

The clock runs from starting the gateway until the simulator holds every record: wall time,
records/s end to end, and the gateway's peak RSS (``VmHWM``). Every record once: the
simulator's rows (distinct records) equal the records the HIS day holds at its end (accepted
by the mappings and validation, less the day's deletions), and its data requests equal the
queue entries the gateway made (each upsert or delete sent once, none twice).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract import DAY, build_his, database
from frontend_sim import env, free_port, frontend_simulator, peak_rss_mb, received, stop
from sqlalchemy import func, select

from hisbridge.store.engine import make_engine
from hisbridge.store.schema.outbox import outbox

HERE = Path(__file__).resolve().parent


def expected_records(his_url: str, scale: str, folder: Path) -> dict[str, int]:
    """The HIS day through the extraction bench (mappings + validation): records accepted, and
    records the day holds at its end (accepted and not deleted: what the front-end must hold)."""
    out = folder / "extract.json"
    subprocess.run([sys.executable, str(HERE / "extract.py"), "--scale", scale, "--his-url",
                    his_url, "--intake", "counting", "--json-out", str(out)], check=True,
                   env=env(), stdout=subprocess.DEVNULL)
    found = json.loads(out.read_text("utf-8"))
    return {"accepted": int(found["accepted"]), "live": int(found["live_records"])}


def queued(store_url: str) -> int:
    """Queue entries the gateway made (a record's upsert, a delete): each is one request."""
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())
    finally:
        engine.dispose()


def project(folder: Path, his_url: str, frontend_url: str, store_url: str,
            concurrency: int, gdhealth: bool) -> Path:
    subprocess.run([sys.executable, "-m", "hisbridge", "init", str(folder), "--his-url", his_url,
                    "--frontend-url", frontend_url, "--store-url", store_url, "--force"],
                   check=True, env=env(), stdout=subprocess.DEVNULL)
    config = folder / "hisbridge.yaml"
    data = yaml.safe_load(config.read_text("utf-8"))
    data["his"] |= {"realtime_interval_s": 1, "t0_interval_s": 1, "t0_cron": ""}
    data["frontend"]["concurrency"] = concurrency
    data["interaction"] = {"poller": {"enabled": False}}
    data["gdhealth"]["enabled"] = gdhealth
    config.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return config


def live_once(store: str, his_url: str, expected: int, args: argparse.Namespace,
              folder: Path) -> dict[str, Any]:
    with (database(store, folder, "live") as store_url,
          frontend_simulator(folder) as frontend_url):
        config = project(folder / f"p-{store}", his_url, frontend_url, store_url,
                         args.concurrency, args.gdhealth)
        log = folder / f"gateway-{store}.log"
        with log.open("ab") as out:
            started = time.monotonic()
            gateway = subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c",
                                        str(config), "--port", str(free_port())],
                                       stdout=out, stderr=out, env=env())
        try:
            got = received(frontend_url)
            deadline = started + args.timeout
            while got.rows < expected and time.monotonic() < deadline:
                if gateway.poll() is not None:
                    raise RuntimeError(f"gateway exited {gateway.returncode}: "
                                       f"{log.read_text('utf-8')[-2000:]}")
                time.sleep(0.5)
                got = received(frontend_url)
            wall = time.monotonic() - started
            rss = peak_rss_mb(gateway.pid)
            time.sleep(2)  # anything sent twice would arrive now
            got = received(frontend_url)
        finally:
            stop(gateway)
        entries = queued(store_url)
    result = {"store": store, "expected": expected, "rows": got.rows, "requests": got.requests,
              "queued": entries, "missing": max(expected - got.rows, 0),
              "sent_twice": max(got.requests - entries, 0), "wall_s": round(wall, 1),
              "rate": round(got.rows / wall), "peak_rss_mb": round(rss)}
    print(f"{args.scale} day live, {store} store: {got.rows:,}/{expected:,} records in "
          f"{wall:.1f} s = {result['rate']:,} rec/s, peak RSS {rss:.0f} MB, "
          f"missing {result['missing']}, sent twice {result['sent_twice']}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    parser.add_argument("--stores", default="postgresql,sqlite")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--corrections", type=float, default=0.0,
                        help="the HIS day's share of cancelled/corrected/deleted rows")
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--gdhealth", action="store_true",
                        help="keep the 粤健通 sharing hooks on (hisbridge init's default)")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    report: dict[str, Any] = {"scale": args.scale, "day": DAY.isoformat(),
                              "gdhealth": args.gdhealth}
    with tempfile.TemporaryDirectory(prefix="hisbridge-live-") as tmp:
        folder = Path(tmp)
        with database("sqlite", folder, "his") as his_url:
            report["his_build_s"] = round(build_his(his_url, args.scale, args.corrections), 1)
            report["corrections"] = args.corrections
            counts = expected_records(his_url, args.scale, folder)
            report |= {"accepted": counts["accepted"], "expected": counts["live"]}
            for store in [s for s in args.stores.split(",") if s]:
                report[store] = [live_once(store, his_url, counts["live"], args, folder)
                                 for _ in range(args.runs)]
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
