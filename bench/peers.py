"""The peer a Python data engineer would pick: dlt loading the same rows into PostgreSQL.

    PYTHONPATH=src python bench/peers.py [--rows 20000] [--runs 3] [--json-out FILE]

The rows are the ones ``bench/delivery.py`` sends in DB mode (``emr_patient_info`` in the
front-end's column form, ``hisbridge.connectors.frontend.mapping.db_row``). Each run loads them
with ``dlt.pipeline(destination="postgres").run(rows, table_name=...)`` into a fresh database
and times the whole call (extract, normalize, load), as a user of dlt would experience it.
dlt is a bench-only extra (``pip install -e '.[bench]'``), never a runtime dependency. When dlt
cannot be imported or fails, the exact error is recorded instead of a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from hisbridge import _json
from hisbridge.connectors.frontend.mapping import db_row
from hisbridge.dictionary import load_dictionary
from hisbridge.testing import sample_record

TABLE = "emr_patient_info"
PG_ADMIN = os.environ.get("HISBRIDGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def rows(n: int) -> list[dict[str, Any]]:
    """The DB-mode rows of ``bench/delivery.py`` (same ids, same values)."""
    spec = load_dictionary().table(TABLE)
    return [db_row(spec, _json.loads(_json.dumps(sample_record(TABLE, f"r{i}", serial=i))))
            for i in range(n)]


def with_password(url: str) -> str:
    """dlt insists on a password; a local trust-auth server ignores the placeholder."""
    scheme, rest = url.split("://", 1)
    user, _, host = rest.rpartition("@")
    if user and ":" not in user:
        return f"{scheme}://{user}:unused@{host}"
    return url


def dlt_once(data: list[dict[str, Any]], workdir: str) -> float:
    """Load ``data`` with dlt into a scratch database; records/s of the whole ``run`` call."""
    import dlt

    name = f"hbpeer_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        base = with_password(PG_ADMIN.replace("postgresql+psycopg://", "postgresql://"))
        base = base.rsplit("/", 1)[0]
        pipeline = dlt.pipeline(pipeline_name=name, pipelines_dir=workdir,
                                destination=dlt.destinations.postgres(f"{base}/{name}"),
                                dataset_name="public")
        began = time.perf_counter()
        info = pipeline.run(data, table_name=TABLE, write_disposition="append")
        took = time.perf_counter() - began
        info.raise_on_failed_jobs()
        return len(data) / took
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json-out")
    args = parser.parse_args()
    report: dict[str, Any] = {"peer": "dlt", "rows": args.rows, "runs": args.runs}
    try:
        import dlt

        report["version"] = dlt.__version__
        data = rows(args.rows)
        with tempfile.TemporaryDirectory() as workdir:
            rates = [dlt_once(data, workdir) for _ in range(args.runs)]
        report["rate"] = {"median": statistics.median(rates), "min": min(rates),
                          "max": max(rates)}
        print(f"dlt {report['version']} -> PostgreSQL: median {report['rate']['median']:,.0f} "
              f"rows/s (min {min(rates):,.0f}, max {max(rates):,.0f}, {args.runs} runs of "
              f"{args.rows:,})")
    except Exception as exc:  # the brief: record the exact error, never fake a figure
        report["error"] = f"{type(exc).__name__}: {exc}"
        report["traceback"] = traceback.format_exc()[-2000:]
        print(f"dlt could not run: {report['error']}", file=sys.stderr)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
