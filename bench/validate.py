"""Validator speed: records/s on one core, per table and over a hospital day's mix.

    python bench/validate.py [--records 100000] [--per-table 5000] [--runs 5]
                             [--before /work/main] [--json-out FILE]

Records are synthetic (``hisbridge.testing.documents.valid_record``): for each of the 20 tables,
templates drawn from several seeds, half with every sent field filled and half with only the
required, coded and dated ones, and 2 % of them carrying a fault (a missing id or an unknown
code), as real extracts do. The mix follows a hospital day's shape (many lab items and order
items, fewer patients and report cards). Rates are CPU time of this process (one core; the
machine is shared, so wall time would count other people's work); each figure is the median of
``--runs`` runs. ``--before DIR`` runs the same workload against another tree's ``src`` (e.g. the
main branch before a change) in a child process and prints both side by side. Writes
bench/results/validate-<date>.json. The last line is the store intake's work per record before any
SQL (``prepare_records``: validate, normalise, JSON, hash) over the same day, lenient.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.store.intake import prepare_records
from hisbridge.store.ports import AcceptResult
from hisbridge.testing.documents import valid_record

MIX = {
    "emr_patient_info": 6, "emr_activity_info": 8, "emr_inf_report": 1, "emr_outpatient_record": 6,
    "emr_ex_lab": 8, "emr_ex_lab_item": 40, "emr_ex_clinical": 3, "emr_ex_clinical_item": 3,
    "emr_order": 6, "emr_order_item": 12, "emr_vital_signs_record": 4, "emr_admission_info": 1,
    "emr_daily_course": 1, "base_user": 1,
}
Rows = list[tuple[str, dict[str, object]]]


def templates(table: str, rng: random.Random) -> list[dict[str, object]]:
    return [valid_record(table, rng, full=n % 2 == 0) for n in range(40)]


def faulty(record: dict[str, object], n: int) -> dict[str, object]:
    """Every 50th record carries a fault: a missing key or a code no list has."""
    record = dict(record)
    if n % 100 == 0:
        record["id"] = None
    elif n % 50 == 0:
        coded = [k for k in record if k.endswith("_code") and k != "org_code"]
        record[coded[0] if coded else "id"] = "?"
    return record


def table_rows(table: str, n: int, seed: int = 42) -> Rows:
    rng = random.Random(seed)
    made = templates(table, rng)
    return [(table, faulty(rng.choice(made), i)) for i in range(n)]


def day_rows(n: int, seed: int = 42) -> Rows:
    rng = random.Random(seed)
    tables = [t for t, w in MIX.items() for _ in range(w)]
    made = {t: templates(t, rng) for t in MIX}
    return [(t, faulty(rng.choice(made[t]), i)) for i, t in
            ((i, tables[i % len(tables)]) for i in range(n))]


def rate(validate: Callable[[str, Any], object], rows: Rows) -> float:
    start = time.process_time()
    for table, record in rows:
        validate(table, record)
    return len(rows) / (time.process_time() - start)


def intake_rate(rows: Rows) -> float:
    """The store intake's own work before any SQL: validate, normalise, JSON, hash."""
    validator = Validator("lenient")
    by_table: dict[str, list[dict[str, object]]] = {}
    for table, record in rows:
        by_table.setdefault(table, []).append(record)
    start = time.process_time()
    for table, records in by_table.items():
        prepare_records(validator, load_dictionary().table(table), records, "upsert", AcceptResult())
    return len(rows) / (time.process_time() - start)


def spread(rates: list[float]) -> dict[str, float]:
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    names = [t.name for t in load_dictionary()]
    day = day_rows(args.records)
    per_table = {t: table_rows(t, args.per_table) for t in names}
    result: dict[str, Any] = {"date": date.today().isoformat(), "records": args.records,
                              "per_table_records": args.per_table, "runs": args.runs,
                              "clock": "process CPU time", "machine": platform.platform()}
    result["intake"] = spread([intake_rate(day) for _ in range(args.runs)])
    for mode in ("lenient", "strict"):
        validate = Validator(mode).validate  # type: ignore[arg-type]
        result[mode] = spread([rate(validate, day) for _ in range(args.runs)])
        result[f"{mode}_per_table"] = {
            t: spread([rate(validate, rows) for _ in range(args.runs)])
            for t, rows in per_table.items()}
    return result


def before(args: argparse.Namespace, tree: Path) -> dict[str, Any]:
    """The same workload against ``tree``'s code, in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "before.json"
        env = {**os.environ, "PYTHONPATH": str(tree / "src")}
        subprocess.run([sys.executable, __file__, "--records", str(args.records),
                        "--per-table", str(args.per_table), "--runs", str(args.runs),
                        "--json-out", str(out), "--quiet"], check=True, env=env)
        return json.loads(out.read_text())  # type: ignore[no-any-return]


def median(result: dict[str, Any] | None, mode: str, table: str | None) -> str:
    found = result and (result[f"{mode}_per_table"].get(table) if table else result[mode])
    return f"{found['median']:>9,.0f}" if found else f"{'-':>9}"


def show(result: dict[str, Any], old: dict[str, Any] | None) -> None:
    print(f"{'table':28s} {'lenient':>9} {'strict':>9}"
          + (f"   before: {'lenient':>9} {'strict':>9}" if old else ""))
    for table in [*result["lenient_per_table"], None]:
        line = f"{table or 'day mix (overall)':28s} "
        line += " ".join(median(result, mode, table) for mode in ("lenient", "strict"))
        if old:
            line += "           " + " ".join(median(old, mode, table)
                                             for mode in ("lenient", "strict"))
        print(line)
    line = f"{'intake before SQL (lenient)':28s} {result['intake']['median']:>9,.0f}"
    if old and "intake" in old:
        line += f"{'':>10}           {old['intake']['median']:>9,.0f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000, help="records of the day mix")
    parser.add_argument("--per-table", type=int, default=5_000, help="records of each table")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="a tree whose src/ to measure first")
    parser.add_argument("--json-out", help="write the figures here (default bench/results/)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    old = before(args, args.before) if args.before else None
    result = measure(args)
    if old:
        result["before"] = old
    if not args.quiet:
        print(f"records/s on one core (CPU time), median of {args.runs} runs")
        show(result, old)
    out = Path(args.json_out or Path(__file__).parent / "results" / f"validate-{result['date']}.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    if not args.quiet:
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
