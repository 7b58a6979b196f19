"""A hospital group on one gateway: 30 institutions x a small day, PostgreSQL store (issue 21).

    PYTHONPATH=src python bench/group.py [--institutions 30] [--scale small] [--runs 3]
                                         [--latency-ms 5] [--concurrency 4] [--single]
                                         [--county-scale medium] [--county-concurrency 16]
                                         [--json-out FILE]

The synthetic hospital's day (``hisbridge simulate his``, seed 1, no corrections, SQLite HIS)
goes once through the worked example's mappings; each of ``--institutions`` synthetic
institutions (a county hospital and township health centres, org codes ``441890001``...) gets
its own copy, re-coded by ``group_day.recode`` (its org code and name, its tag before every
key). Each run: a fresh PostgreSQL database (``HISBRIDGE_TEST_PG``, dropped afterwards), a
gateway config with the ``institutions`` list (each its own licence, all on one front-end URL),
every record accepted through the gateway's own intake (``DeliveryService.from_settings``:
validated and routed by org_code), table by table with the institutions' rows interleaved as
one group HIS holds them; then ONE ``hisbridge run`` process (message poller off) delivers to
ONE front-end simulator process (``bench/group_sim.py``: every licence accepted, answering
after ``--latency-ms``, noting when each record was answered).

Figures per run: records, wall time (first accept -> last success at the simulator), records/s
end to end and over delivery alone (gateway start -> last success), fairness (each
institution's completion time, first accept -> its last success: min, median, max,
max/median; the county hospital's, and the centres' max/median apart, for ``--county-scale``:
the first institution's larger day), the gateway's peak RSS (``VmHWM``) and CPU seconds,
records per delivered batch it recorded (one store transaction each: ``attempts`` rows with no
entry), and every record once per institution (simulator successes = its records, requests =
its queue entries; no request carrying a key of no institution). Routing is checked in the
store before delivery: each queue entry's institution is the one its key belongs to
(``misrouted``), and nothing was held. ``--single`` also delivers the same records on a
gateway with no ``institutions`` list (one queue, one worker) after each run, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, func, select

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.institution_keys import unqualified
from hisbridge.store.migrate import upgrade
from hisbridge.store.ports import AcceptResult, Op, Rejected
from hisbridge.store.schema.outbox import attempts, outbox, quarantine
from hisbridge.testing import ManualClock, secret_env

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract import CountingIntake, build_his, database
from frontend_sim import call, env, free_port, peak_rss_mb, received, stop
from group_day import (
    SUMMED,
    Member,
    fairness,
    interleaved,
    members,
    once,
    owner,
    summarise,
    tally,
)
from group_sim import NOTES_PATH

HERE = Path(__file__).resolve().parent
Day = dict[str, list[dict[str, Any]]]


class CapturingIntake(CountingIntake):
    """Validates like the store and keeps the records it accepts, as the mappings made them."""

    def __init__(self) -> None:
        super().__init__()
        self.day: Day = {}

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        if op != "upsert":
            raise RuntimeError(f"the bench's day has no deletes ({table})")
        result = super().accept(table, records, op=op, source=source)
        refused = {r.index for r in result.rejected}
        self.day.setdefault(table, []).extend(
            dict(r) for i, r in enumerate(records) if i not in refused)
        return result


def hospital_day(scale: str, folder: Path) -> Day:
    """One hospital's day through the worked example's mappings and validation."""
    folder.mkdir(parents=True, exist_ok=True)
    his_url = f"sqlite:///{folder / 'his.sqlite'}"
    build_his(his_url, scale, corrections=0.0)
    write_example(folder / "p", his_url=his_url, store_url=f"sqlite:///{folder / 's.sqlite'}",
                  force=True)
    store = make_engine(f"sqlite:///{folder / 's.sqlite'}")
    upgrade(store)
    intake = CapturingIntake()
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with SqlPoller(open_project(folder / "p" / "hisbridge.yaml"), intake, store,
                   clock=clock) as poller:
        poller.poll_all()
    store.dispose()
    return intake.day


def gateway_config(path: Path, store_url: str, frontend_url: str, group: list[Member],
                   args: argparse.Namespace, single: bool) -> Path:
    """The group's gateway: one front-end URL, each institution its licence (the first one its
    own ``--county-concurrency``, if given); ``single``: the comparison, no ``institutions``
    list (one queue, one worker, the first one's licence)."""
    config: dict[str, Any] = {
        "store": {"url": store_url},
        "frontend": {"base_url": frontend_url, "concurrency": args.concurrency,
                     "license": group[0].licence},
        "delivery": {"batch_size": 200}, "interaction": {"poller": {"enabled": False}},
        "gdhealth": {"enabled": False}}
    if not single:
        config["institutions"] = [{"org_code": m.org_code, "name": m.name,
                                   "frontend": {"license": m.licence}} for m in group]
        if args.county_concurrency:
            config["institutions"][0]["frontend"]["concurrency"] = args.county_concurrency
    path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return path


def accept_group(config: Path, engine: Engine, days: list[Day], group: list[Member]) -> float:
    """Every institution's day through the gateway's intake, table by table, the institutions'
    rows interleaved; the wall-clock time of the first accept."""
    service = DeliveryService.from_settings(load_settings(config), engine)
    first = time.time()
    for table in dict.fromkeys(t for day in days for t in day):
        rows = interleaved(table, days, group)
        for start in range(0, len(rows), 2000):
            result = service.intake.accept(table, rows[start:start + 2000], source="bench")
            if result.rejected:
                raise RuntimeError(f"{table}: {len(result.rejected)} records rejected: "
                                   f"{_first_problem(result.rejected)}")
    return first


def _first_problem(rejected: list[Rejected]) -> str:
    return str(rejected[0].violations[:1]) if rejected else ""


def routing(engine: Engine, group: list[Member], single: bool) -> dict[str, Any]:
    """Queue entries per institution as the store routed them, entries whose institution (or
    the code qualifying their stored key, ``<org_code>/<key>``) is not the one their key
    belongs to, and records held (quarantined). ``single``: keys bare, no institution."""
    tags = {m.tag: m.org_code for m in group}
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.record_id, outbox.c.institution)).all()
        held = int(conn.execute(select(func.count()).select_from(quarantine)).scalar_one())
    entries: Counter[str] = Counter()
    misrouted = 0
    for record_id, institution in rows:
        org, key = (None, str(record_id)) if single else unqualified(str(record_id))
        belongs = owner(key, tags)
        entries[belongs or ""] += 1
        expected = None if single else belongs
        misrouted += not belongs or institution != expected or org != expected
    return {"entries": dict(entries), "misrouted": misrouted, "held": held}


def batches(store_url: str) -> int:
    """Delivered batches the gateway recorded (``attempts`` rows with no ``outbox_id``): each
    is one store transaction marking its records delivered."""
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(attempts)
                                    .where(attempts.c.outbox_id.is_(None))).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def simulator(folder: Path, latency_ms: float) -> Iterator[str]:
    """The group's front-end simulator's URL while it runs."""
    port = free_port()
    with (folder / "frontend.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "group_sim.py"), "--port", str(port), "--store",
             f"sqlite:///{folder / f'frontend-{port}.sqlite'}", "--latency-ms", str(latency_ms)],
            stdout=log, stderr=log, env=env())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                received(url)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("group simulator did not start: see frontend.log") from None
                time.sleep(0.2)
        yield url
    finally:
        stop(process)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def deliver(config: Path, frontend_url: str, total: int, timeout: float,
            log: Path) -> dict[str, float]:
    """One ``hisbridge run`` until the simulator holds ``total`` records: its start time, peak
    RSS and CPU seconds."""
    with log.open("ab") as out:
        started = time.time()
        gateway = subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c", str(config),
                                    "--port", str(free_port())], stdout=out, stderr=out,
                                   env={**env(), **secret_env()})
    try:
        deadline = time.monotonic() + timeout
        while received(frontend_url).rows < total:
            if gateway.poll() is not None:
                raise RuntimeError(f"gateway exited {gateway.returncode}: "
                                   f"{log.read_text('utf-8')[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every record arrived within {timeout:.0f} s")
            time.sleep(0.2)
        rss, cpu = peak_rss_mb(gateway.pid), cpu_seconds(gateway.pid)
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        stop(gateway)
    return {"started": started, "peak_rss_mb": rss, "cpu_s": cpu}


def group_once(days: list[Day], group: list[Member], args: argparse.Namespace, folder: Path,
               single: bool = False) -> dict[str, Any]:
    per_day = {m.org_code: sum(len(r) for r in day.values()) for m, day in zip(group, days,
                                                                                strict=True)}
    total = sum(per_day.values())
    with (database("postgresql", folder, "group") as store_url,
          simulator(folder, args.latency_ms) as frontend_url):
        config = gateway_config(folder / "group.yaml", store_url, frontend_url, group,
                                args, single)
        engine = make_engine(store_url)
        try:
            upgrade(engine)
            first = accept_group(config, engine, days, group)
            accepted = time.time()
            routed = routing(engine, group, single)
        finally:
            engine.dispose()
        gateway = deliver(config, frontend_url, total, args.timeout, folder / "gateway.log")
        notes = call(f"{frontend_url}{NOTES_PATH}", timeout=120)
        recorded = batches(store_url)
    got = tally(notes, {m.tag: m.org_code for m in group})
    checked = once(per_day, routed["entries"], got)
    last = max(t.last_success for t in got.values())
    completions = {code: got[code].last_success - first for code in per_day}
    spread = fairness(completions)
    county = group[0].org_code
    result = {"institutions": len(group), "records": total, "wall_s": last - first,
              "intake_s": accepted - first, "delivery_s": last - gateway["started"],
              "rate": total / (last - first), "delivery_rate": total / (last - gateway["started"]),
              "peak_rss_mb": gateway["peak_rss_mb"], "cpu_s": gateway["cpu_s"],
              "cpu_us_per_record": gateway["cpu_s"] / total * 1e6,
              "records_per_batch": total / max(recorded, 1),
              "completion_min_s": spread["min"], "completion_median_s": spread["median"],
              "completion_max_s": spread["max"], "max_over_median": spread["max_over_median"],
              "county_completion_s": completions[county],
              "centres_max_over_median": fairness({c: v for c, v in completions.items()
                                                   if c != county})["max_over_median"],
              **checked, "misrouted": routed["misrouted"], "held": routed["held"],
              "completion_s": {code: round(got[code].last_success - first, 2)
                               for code in per_day}}
    show(result, single)
    return result


def show(run: dict[str, Any], single: bool) -> None:
    who = "one queue" if single else f"{run['institutions']} institutions"
    print(f"{who}, {run['records']:,} records: {run['wall_s']:.1f} s = {run['rate']:,.0f} rec/s "
          f"end to end (delivery {run['delivery_rate']:,.0f}); completion "
          f"{run['completion_min_s']:.1f}/{run['completion_median_s']:.1f}/"
          f"{run['completion_max_s']:.1f} s (max/median {run['max_over_median']:.2f}); peak RSS "
          f"{run['peak_rss_mb']:.0f} MB, CPU {run['cpu_s']:.1f} s, "
          f"{run['records_per_batch']:.1f} records per recorded batch; missing {run['missing']}, "
          f"twice {run['sent_twice']}, misrouted {run['misrouted']}, held {run['held']}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--institutions", type=int, default=30)
    parser.add_argument("--scale", default="small", choices=("small", "medium", "large"))
    parser.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=4,
                        help="frontend.concurrency (each institution's, if the gateway applies "
                             "it per institution)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--county-scale", choices=("small", "medium", "large"),
                        help="the first institution's (the county hospital's) day, when it "
                             "differs from --scale: the centres' completion beside its backlog")
    parser.add_argument("--county-concurrency", type=int,
                        help="the first institution's own frontend.concurrency (its "
                             "institutions entry)")
    parser.add_argument("--single", action="store_true",
                        help="also deliver the same records as one institution (no institutions "
                             "list: one queue, one worker) after each run, for comparison")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    os.environ.update(secret_env())
    group = members(args.institutions)
    with tempfile.TemporaryDirectory(prefix="hisbridge-group-") as tmp:
        day = hospital_day(args.scale, Path(tmp) / "day")
        county = (day if args.county_scale in (None, args.scale)
                  else hospital_day(args.county_scale, Path(tmp) / "county"))
        days = [county, *[day] * (len(group) - 1)]
        runs, singles = [], []
        for _ in range(args.runs):
            runs.append(group_once(days, group, args, Path(tmp)))
            if args.single:
                singles.append(group_once(days, group, args, Path(tmp), single=True))
    report = {"county_concurrency": args.county_concurrency, "scale": args.scale,
              "county_scale": args.county_scale or args.scale,
              "county_records": sum(len(r) for r in county.values()), "latency_ms": args.latency_ms,
              "concurrency": args.concurrency, "per_day": sum(len(r) for r in day.values()),
              **summarise(runs), "each_run": runs}
    if singles:
        report["single"] = {**summarise(singles), "each_run": singles}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    faults = {key: report[key] for key in SUMMED if report[key]}
    faults |= {f"single {key}": report["single"][key] for key in SUMMED
               if singles and report["single"][key]}
    if faults:
        sys.exit(f"NOT every record once to its own institution: {faults}")


if __name__ == "__main__":
    main()
