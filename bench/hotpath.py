"""A profile of the hottest path: accepting records into the store, then delivering them.

    PYTHONPATH=src python bench/hotpath.py [--records 5000] [--out-dir bench/results]

pyinstrument (a bench-only extra) samples this process while ``StoreIntake.accept`` takes
``--records`` patient records into a SQLite store and while the delivery worker (store ->
outbox -> data-API client, concurrency 16) sends them to the front-end simulator in its own process,
exactly as ``bench/delivery.py`` measures API mode, and while the DB sink writes them into a
scratch PostgreSQL database (DB mode). Writes ``profile-<date>-intake.txt``,
``profile-<date>-delivery.txt``, ``profile-<date>-dbsink.txt`` and ``.html`` files beside the
results.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import delivery as bench

from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig


def save(profiler: Any, out: Path, name: str) -> Path:
    text = out / f"profile-{date.today().isoformat()}-{name}.txt"
    text.write_text(profiler.output_text(unicode=True, color=False, show_all=False), "utf-8")
    (out / text.name.replace(".txt", ".html")).write_text(profiler.output_html(), "utf-8")
    return text


async def profile(records: int, out: Path) -> list[Path]:
    from pyinstrument import Profiler

    workdir = tempfile.mkdtemp(prefix="hisbridge-profile-")
    written = []
    try:
        engine = bench.fresh_store(workdir)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        bench.accept(engine, records)
        profiler.stop()
        written.append(save(profiler, out, "intake"))
        with bench.receiver(bench.receiver_kind("auto"), 0.0, workdir) as url:
            client = FrontendApiClient(DataApiConfig(base_url=url, concurrency=16))
            service = bench.service_for(engine, client, 16)
            profiler = Profiler(interval=0.0005, async_mode="enabled")
            profiler.start()
            rate = await bench.drain(service, records)
            profiler.stop()
            await service.stop()
        written.append(save(profiler, out, "delivery"))
        print(f"delivered {records} records at {rate:,.0f} rec/s under the profiler")
        engine.dispose()
        written.append(await profile_db(records, out, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return written


async def profile_db(records: int, out: Path, workdir: str) -> Path:
    """DB mode: the same records from a fresh store into PostgreSQL via the DB sink."""
    from pyinstrument import Profiler
    from sqlalchemy import text

    from hisbridge.connectors.frontend.config import DbSinkConfig
    from hisbridge.connectors.frontend.db_sink import FrontendDbSink

    url, (admin, name) = bench.pg_database(bench.parse_pg_admin())
    try:
        engine = bench.fresh_store(workdir)
        bench.accept(engine, records)
        sink = FrontendDbSink(DbSinkConfig(url))
        sink.ensure_tables()
        service = bench.service_for(engine, sink, 4, batch_size=1000)
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        rate = await bench.drain(service, records)
        profiler.stop()
        await service.stop()
        sink.engine.dispose()
        engine.dispose()
        print(f"DB mode: {records} records at {rate:,.0f} rec/s under the profiler")
        return save(profiler, out, "dbsink")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with asyncio.Runner(loop_factory=bench._loop_factory()) as runner:  # uvloop, as in run
        written = runner.run(profile(args.records, out))
    for path in written:
        print(f"wrote {path} (and .html)")


if __name__ == "__main__":
    main()
