"""Console speed on a filled store: the dashboard query, a record search, a login.

    python bench/console.py [--records 20000] [--runs 5] [--url sqlite:///...]

Fills a fresh store through the real intake and delivery (a recording target that accepts
everything, 1 in 50 rejected to make dead letters), then times: ``read_dashboard`` (everything
the dashboard and its live stream read), a search by visit serial number (a scan of the JSON
payloads) and one password check with the default argon2id cost. Prints the median, min and max
of several runs and writes bench/results/console-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hisbridge._clock import system_clock
from hisbridge.ops.dashboard import read_dashboard
from hisbridge.ops.records import RecordQuery, find_records
from hisbridge.ops.users import UserStore
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import load_settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import RecordingTarget, sample_record
from hisbridge.testing.targets import rejected


async def _fill(service: DeliveryService, target: RecordingTarget, count: int) -> None:
    patients = max(count // 10, 1)
    service.accept("emr_patient_info", [sample_record("emr_patient_info", f"P-{n}", serial=n)
                                        for n in range(patients)])
    for start in range(0, count, 1000):
        batch = [sample_record("emr_outpatient_record", f"V-{n}", parent_id=f"P-{n % patients}",
                               serial=n, serial_number=f"MZ{n:08d}")
                 for n in range(start, min(start + 1000, count))]
        for record in batch[::50]:
            target.script(str(record["id"]), [rejected("04")])
        service.accept("emr_outpatient_record", batch, source="bench")
    await service.run_until_idle(timeout=600)


def _timed(runs: int, work: Any) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return {"median_ms": statistics.median(seconds) * 1000, "min_ms": min(seconds) * 1000,
            "max_ms": max(seconds) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    target = RecordingTarget()
    service = DeliveryService.from_settings(load_settings(), engine, target=target)
    asyncio.run(_fill(service, target, args.records))
    users = UserStore(engine)
    users.add("bench", "operator", "quiet-harbor-7312")
    now: datetime = system_clock.now()
    wanted = f"MZ{args.records // 2:08d}"
    result = {
        "date": date.today().isoformat(), "records": args.records, "store": engine.dialect.name,
        "python": platform.python_version(), "machine": platform.machine(),
        "dashboard": _timed(args.runs, lambda: read_dashboard(engine, now)),
        "search_by_serial": _timed(args.runs, lambda: find_records(
            engine, RecordQuery(serial_number=wanted))),
        "search_by_serial_in_table": _timed(args.runs, lambda: find_records(
            engine, RecordQuery(table="emr_outpatient_record", serial_number=wanted))),
        "login_check": _timed(args.runs, lambda: users.authenticate("bench", "quiet-harbor-7312")),
    }
    print(json.dumps(result, indent=2))
    out = Path(__file__).parent / "results" / f"console-{result['date']}-{engine.dialect.name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
