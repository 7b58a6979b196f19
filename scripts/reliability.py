"""The long reliability suite: every scenario with big numbers, figures into docs/reliability.md.

    PYTHONPATH=src python scripts/reliability.py                 # all but the PostgreSQL restart
    PYTHONPATH=src python scripts/reliability.py --pg-restart    # also restart the machine's PG
    PYTHONPATH=src python scripts/reliability.py --only outage,crash --scale 0.1
    PYTHONPATH=src python scripts/reliability.py --only group --minutes 1   # 1 of 3 front-ends down

The scenario code is the CI tests' own (``tests/reliability/*_faults.py``), run with bigger
sizes; the security and bad-input checks are the CI tests themselves (pytest), with their
results listed. Each run writes ``bench/results/reliability-<time>.json`` and regenerates the
table of ``docs/reliability.md`` from every result file's latest figures per scenario, so a
scenario that was not run keeps its last measured row (with its date), or shows "not run".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "reliability")]

from crash_faults import run_crashes  # noqa: E402
from delivery_faults import error_mix, outage, run_plan, slow  # noqa: E402
from fault_kit import Figures  # noqa: E402
from group_faults import run_group_outage  # noqa: E402
from source_faults import run_source_outage  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "reliability.md"
PG_ADMIN = os.environ.get("HISBRIDGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ORDER = ["outage", "errors", "slow", "crash", "pg_restart", "source", "group", "checks"]


@contextmanager
def fresh_pg() -> Iterator[str]:
    """A new PostgreSQL database for one scenario, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"hbr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        for _ in range(30):  # after a PG restart the server may need a moment
            try:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                break
            except Exception:
                time.sleep(1)
        admin.dispose()


def group_outage(work: Path, minutes: float) -> Figures:
    """A hospital group's three front-ends, one down for ``minutes`` (PostgreSQL store)."""
    from hisbridge.store.engine import make_engine
    from hisbridge.store.migrate import upgrade

    work.mkdir(parents=True, exist_ok=True)
    with fresh_pg() as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            report = asyncio.run(run_group_outage(work, engine, url, lead_s=10.0,
                                                  outage_s=minutes * 60, every_s=0.1,
                                                  drain_s=300.0))
        finally:
            engine.dispose()
    return report.figures


def scenarios(scale: float, work: Path, minutes: float = 1.0) -> dict[str, Callable[[], Figures]]:
    def n(size: int) -> int:
        return max(100, int(size * scale))

    def pg_restart() -> Figures:
        with fresh_pg() as url:
            return run_crashes(work / "pg", n(20_000), kills=1, seed=3, store_url=url,
                               fault="postgres", deadline_s=900)

    def source() -> Figures:
        with fresh_pg() as url:
            return run_source_outage(work / "source", url, visits=n(150), outage_polls=5)

    return {
        "outage": lambda: asyncio.run(run_plan(work / "outage", outage(60), n(5_000),
                                               concurrency=16)),
        "errors": lambda: asyncio.run(run_plan(work / "errors", error_mix(0.2, 40), n(20_000),
                                               concurrency=16)),
        "slow": lambda: asyncio.run(run_plan(work / "slow", slow(2000, 30), n(1_000),
                                             concurrency=32)),
        "crash": lambda: run_crashes(work / "crash", n(50_000), kills=3, seed=10,
                                     deadline_s=1200),
        "pg_restart": pg_restart,
        "source": source,
        "group": lambda: group_outage(work / "group", minutes),
    }


def run_checks() -> Figures:
    """The bad-input and security tests (pytest), with their outcome per test."""
    figures = Figures("bad input and security checks (pytest tests/reliability)")
    report = Path(tempfile.mkdtemp()) / "junit.xml"
    keep = "fuzz or openapi or pii or tls or signed or ratelimit or platform"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "reliability"), "-k", keep,
                           f"--junitxml={report}"], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, cwd=ROOT)
    figures.notes.append(f"run time {time.monotonic() - started:.1f} s")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    figures.notes.append(summary)
    if done.returncode != 0:
        figures.lost.append(summary)
    return figures


def save(results: dict[str, dict[str, Any]], path: Path) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2), "utf-8")
    return path


def latest() -> dict[str, dict[str, Any]]:
    """The newest figures of every scenario over all result files."""
    rows: dict[str, dict[str, Any]] = {}
    for path in sorted(RESULTS.glob("reliability-*.json")):
        for key, row in json.loads(path.read_text("utf-8")).items():
            rows[key] = {**row, "file": path.name}
    return rows


def _cell(row: dict[str, Any]) -> str:
    dead = ", ".join(f"{v} × {k}" for k, v in row["dead"].items()) or "0"
    recover = "—" if row["recover_s"] is None else f"{row['recover_s']:g} s"
    return (f"| {row['scenario']} | {row['records_in']:,} | {row['delivered']:,} | {dead} | "
            f"{row['duplicates']:,} | {row['failed_sends']:,} | {recover} | "
            f"**{row['lost']}** | {row['when']} | {'; '.join(row['notes'])[:400]} |")


def render_table() -> str:
    rows = latest()
    lines = ["| scenario | records in | delivered | dead (reason) | duplicates sent | "
             "failed sends | time to recover | lost | measured (UTC) | notes |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for key in ORDER:
        if key in rows:
            lines.append(_cell(rows[key]))
        else:
            lines.append(f"| {key} | not run yet | | | | | | | | |")
    return "\n".join(lines)


def write_doc() -> None:
    text = DOC.read_text("utf-8") if DOC.exists() else ""
    start, end = "<!-- figures:start -->", "<!-- figures:end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + start + "\n" + render_table() + "\n" + end + rest.split(end, 1)[1]
        DOC.write_text(text, "utf-8")
    else:
        print(render_table())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(ORDER))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every record count")
    parser.add_argument("--minutes", type=float, default=1.0,
                        help="group: how long the one front-end of three stays down")
    parser.add_argument("--pg-restart", action="store_true",
                        help="also restart the machine's PostgreSQL (breaks other users' sessions)")
    args = parser.parse_args()
    wanted = [k for k in (args.only.split(",") if args.only else ORDER) if k]
    if not args.pg_restart and "pg_restart" in wanted:
        wanted.remove("pg_restart")
    work = Path(tempfile.mkdtemp(prefix="hisbridge-reliability-"))
    runs = scenarios(args.scale, work, args.minutes)
    results: dict[str, dict[str, Any]] = {}
    out = RESULTS / f"reliability-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    for key in wanted:
        print(f"== {key}", flush=True)
        started = time.monotonic()
        figures = run_checks() if key == "checks" else runs[key]()
        row = figures.as_dict()
        row["when"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
        row["wall_s"] = round(time.monotonic() - started, 1)
        results[key] = row
        print(json.dumps(row, ensure_ascii=False), flush=True)
        save(results, out)
    write_doc()
    return 1 if any(r["lost"] for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
