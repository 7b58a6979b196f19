"""Extraction speed: a synthetic HIS day -> SQL mappings -> validation -> intake.

    python bench/extract.py [--scale large] [--his H] \
        [--intake counting|memory|sqlite|postgresql] [--his-url URL]   (H: sqlite|postgresql|mariadb)

The HIS day is built by ``hisbridge simulate his`` in a child process (so this process's peak
RSS is the extraction's alone), then every table is polled once with the worked example's
mappings. Intakes: ``counting`` validates and drops (the pipeline's own cost), ``memory`` is
``hisbridge.testing.MemoryIntake`` (holds every record: its RSS grows with the day),
``sqlite``/``postgresql`` are the durable store (``hisbridge.store.intake.StoreIntake``) when
it is installed. PostgreSQL databases are created fresh from ``HISBRIDGE_TEST_PG`` and
dropped afterwards. Writes bench/results/extract-<date>-<his>-<intake>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from hisbridge._clock import CHINA_TZ
from hisbridge.dictionary import Validator, has_errors, load_dictionary
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.ports import AcceptResult, Intake, Op, Rejected
from hisbridge.testing import ManualClock, MemoryIntake

PG_ADMIN = os.environ.get("HISBRIDGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_ADMIN = os.environ.get("HISBRIDGE_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")
DAY = date(2026, 3, 2)


class CountingIntake:
    """Validates like the store and keeps nothing: the cost of extraction itself."""

    def __init__(self) -> None:
        self.validator = Validator("lenient")
        self.dictionary = load_dictionary()
        self.live: set[tuple[str, Any]] = set()
        """(table, key) of every record the day holds at the end (upserted, not deleted)."""

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        result = AcceptResult()
        for index, record in enumerate(records):
            found = self.validator.validate(table, record) if op == "upsert" else []
            if has_errors(found):
                result.rejected.append(Rejected(index, None, tuple(found)))
            else:
                result.accepted += 1
                key = (table, record.get(self.dictionary.table(table).primary_key))
                if op == "upsert":
                    self.live.add(key)
                else:
                    self.live.discard(key)
        return result


@contextmanager
def database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """A SQLite file URL, or a fresh PostgreSQL/MariaDB database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / name}.sqlite"
        return
    url = PG_ADMIN if kind == "postgresql" else MYSQL_ADMIN
    db = f"hbb_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {db}"))
    try:
        suffix = "?charset=utf8mb4" if kind == "mariadb" else ""
        yield f"{url.rsplit('/', 1)[0]}/{db}{suffix}"
    finally:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {db}{force}"))
        admin.dispose()


def build_his(url: str, scale: str, corrections: float = 0.02) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "hisbridge", "simulate", "his", "--db", url,
                    "--date", DAY.isoformat(), "--scale", scale, "--seed", "1", "--reset",
                    "--corrections", str(corrections)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def make_intake(kind: str, store_url: str) -> Intake:
    if kind == "counting":
        return CountingIntake()
    if kind == "memory":
        return MemoryIntake()
    from hisbridge.store.intake import StoreIntake  # type: ignore[import-not-found]

    return StoreIntake(make_engine(store_url))  # type: ignore[no-any-return]


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    with database(args.his, folder, "his") as his_url:
        his_url = args.his_url or his_url
        built = 0.0 if args.his_url else build_his(his_url, args.scale)
        store_kind = args.intake if args.intake in ("sqlite", "postgresql") else "sqlite"
        with database(store_kind, folder, "store") as store_url:
            write_example(folder / "p", his_url=his_url, store_url=store_url, force=True)
            project = open_project(folder / "p" / "hisbridge.yaml")
            store = make_engine(store_url)
            upgrade(store)
            intake = make_intake(args.intake, store_url)
            clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
            started = time.monotonic()
            with SqlPoller(project, intake, store, clock=clock) as poller:
                reports = poller.poll_all()
            wall = time.monotonic() - started
            store.dispose()
    rows = sum(r.counts.rows_read for r in reports)
    accepted = sum(r.counts.accepted for r in reports)
    return {"scale": args.scale, "his": args.his, "intake": args.intake,
            "his_build_s": round(built, 1), "wall_s": round(wall, 1), "rows_read": rows,
            "accepted": accepted, "rejected": sum(r.counts.rejected for r in reports),
            "filtered": sum(r.counts.filtered for r in reports),
            "records_per_s": round(rows / wall), "errors": [r.error for r in reports if r.error],
            "live_records": len(intake.live) if isinstance(intake, CountingIntake) else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "per_table_s": {r.table: round(r.seconds, 2) for r in reports},
            "per_table_rows": {r.table: r.counts.rows_read for r in reports},
            "per_table_accepted": {r.table: r.counts.accepted for r in reports}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    parser.add_argument("--his", default="sqlite", choices=("sqlite", "postgresql", "mariadb"))
    parser.add_argument("--intake", default="counting",
                        choices=("counting", "memory", "sqlite", "postgresql"))
    parser.add_argument("--his-url", help="poll an existing HIS instead of building one")
    parser.add_argument("--json-out", help="write the figures here (default bench/results/)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args, Path(tmp))
    result |= {"date": date.today().isoformat(), "machine": platform.platform()}
    print(f"{args.scale} day, HIS {args.his} -> {args.intake}: {result['rows_read']:,} rows in "
          f"{result['wall_s']} s = {result['records_per_s']:,} rows/s, "
          f"accepted {result['accepted']:,}, rejected {result['rejected']}, "
          f"filtered {result['filtered']:,}, peak RSS {result['peak_rss_mb']} MB "
          f"(HIS built in {result['his_build_s']} s)")
    name = f"extract-{result['date']}-{args.his}-{args.intake}.json"
    out = Path(args.json_out or Path(__file__).parent / "results" / name)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
