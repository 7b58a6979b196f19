"""Validator speed: records/s on one core over a realistic mix of the 20 tables.

    python bench/validate.py [--records 200000] [--runs 5]

The mix follows a hospital day's shape (many lab items and order items, fewer patients and
report cards). Prints the median, min and max of several runs for lenient and strict mode and
writes bench/results/validate-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from datetime import date
from pathlib import Path

from hisbridge.dictionary import Validator
from hisbridge.testing.documents import valid_record

MIX = {
    "emr_patient_info": 6, "emr_activity_info": 8, "emr_inf_report": 1, "emr_outpatient_record": 6,
    "emr_ex_lab": 8, "emr_ex_lab_item": 40, "emr_ex_clinical": 3, "emr_ex_clinical_item": 3,
    "emr_order": 6, "emr_order_item": 12, "emr_vital_signs_record": 4, "emr_admission_info": 1,
    "emr_daily_course": 1, "base_user": 1,
}


def workload(n: int, seed: int = 42) -> list[tuple[str, dict[str, object]]]:
    rng = random.Random(seed)
    tables = [t for t, w in MIX.items() for _ in range(w)]
    templates = {t: [valid_record(t, rng, full=True) for _ in range(50)] for t in MIX}
    out = []
    for i in range(n):
        table = tables[i % len(tables)]
        record = dict(rng.choice(templates[table]))
        if i % 50 == 0:  # a few bad values, as real extracts have
            record["id"] = None
        out.append((table, record))
    return out


def measure(mode: str, rows: list[tuple[str, dict[str, object]]]) -> float:
    validator = Validator(mode)  # type: ignore[arg-type]
    validate = validator.validate
    start = time.perf_counter()
    for table, record in rows:
        validate(table, record)
    return len(rows) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json-out", help="write the figures here (default bench/results/)")
    args = parser.parse_args()
    rows = workload(args.records)
    result: dict[str, object] = {"date": date.today().isoformat(), "records": args.records,
                                 "runs": args.runs, "machine": platform.platform()}
    for mode in ("lenient", "strict"):
        rates = [measure(mode, rows) for _ in range(args.runs)]
        result[mode] = {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}
        print(f"{mode:8s} median {statistics.median(rates):>10,.0f} records/s "
              f"(min {min(rates):,.0f}, max {max(rates):,.0f}, {args.runs} runs of {args.records:,})")
    out = Path(args.json_out or Path(__file__).parent / "results" / f"validate-{result['date']}.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
