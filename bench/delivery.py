"""Delivery benchmark: one command, prints records/s, latencies and the ratios.

    PYTHONPATH=src python bench/delivery.py            # modest sizes (2 shared cores)
    PYTHONPATH=src python bench/delivery.py --memory-records 1000000

API mode, against the front-end simulator (``hisbridge.simulators.frontend``; the minimal
protocol-shaped receiver from ``hisbridge.testing`` when the simulator is not installed) served by
uvicorn in its own process on 127.0.0.1:

1. the ceiling: wrk posting the same payload at concurrency 1, 8, 16;
2. hisbridge (store -> outbox -> data-API client) at concurrency 1, 8, 16: records/s draining a
   queue, and p50/p99 from acceptance to the receiver's success reply under a steady load;
3. the public integrators' pattern (sequential, a new connection per record) against hisbridge,
   with the receiver adding 5 ms per request.

DB mode: hisbridge's database sink into PostgreSQL against ``COPY`` of the same rows.
Memory: peak RSS while delivering from a queue of ``--memory-records`` records.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyreqwest.client  # noqa: F401  (a running gateway has it loaded: keep its import out of timed drains)
from sqlalchemy import create_engine, select, text

from hisbridge import _json
from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig, DbSinkConfig
from hisbridge.connectors.frontend.db_sink import FrontendDbSink
from hisbridge.connectors.frontend.mapping import db_row
from hisbridge.delivery.retry import RetryPolicy
from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.dictionary.wire import to_wire
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.runtime.worker import WorkerOptions
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing import sample_record

TABLE = "emr_patient_info"
PATH = "/hclient/emr/receive/emrPatientInfo"
SPEC = load_dictionary().table(TABLE)


# ---------------------------------------------------------------- the receiver process
def receiver_app(kind: str, latency_ms: float, workdir: str) -> Any:
    if kind in ("auto", "sim"):
        try:
            from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
            from hisbridge.simulators.frontend.config import FaultSettings
        except ImportError:
            if kind == "sim":
                raise
        else:
            config = FrontendSimConfig(faults=FaultSettings(latency_ms=latency_ms))
            return create_frontend_app(config, store_url=f"sqlite:///{workdir}/sim.db")
    from hisbridge.testing import ReceiverState, create_receiver_app

    return create_receiver_app(ReceiverState(latency_s=latency_ms / 1000, record=False))


def receiver_kind(kind: str) -> str:
    if kind != "auto":
        return kind
    try:
        import hisbridge.simulators.frontend  # noqa: F401
    except ImportError:
        return "minimal"
    return "sim"


@contextmanager
def receiver(kind: str, latency_ms: float, workdir: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(port), "--latency-ms", str(latency_ms),
               "--receiver", kind, "--workdir", workdir]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(20)


def serve(port: int, latency_ms: float, kind: str, workdir: str) -> None:
    import uvicorn

    uvicorn.run(receiver_app(kind, latency_ms, workdir), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"receiver on port {port} did not start")


# ---------------------------------------------------------------- measurements
def payload(i: int = 0) -> bytes:
    return _json.dumps(to_wire(SPEC, sample_record(TABLE, f"bench-{i}", serial=i)))


def wrk(url: str, concurrency: int, seconds: int, workdir: str) -> tuple[float, str]:
    script = Path(workdir) / "post.lua"
    body = payload().decode().replace("\\", "\\\\").replace('"', '\\"')
    script.write_text(f'wrk.method = "POST"\nwrk.body = "{body}"\n'
                      'wrk.headers["Content-Type"] = "application/json"\n', "utf-8")
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency",
                          "-s", str(script), url + PATH], capture_output=True, text=True,
                         check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    return rate, p99.group(1) if p99 else "?"


def sequential_new_connections(url: str, n: int) -> float:
    parts = urlsplit(url)
    bodies = [payload(i) for i in range(n)]
    started = time.perf_counter()
    for body in bodies:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("POST", PATH, body, {"Content-Type": "application/json"})
        conn.getresponse().read()
        conn.close()
    return n / (time.perf_counter() - started)


def fresh_store(workdir: str) -> Any:
    path = Path(workdir) / f"store-{uuid.uuid4().hex[:8]}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def accept(engine: Any, n: int, start: int = 0, chunk: int = 5000) -> float:
    intake = StoreIntake(engine, Validator("lenient"))
    rows = [sample_record(TABLE, f"r{i}", serial=i) for i in range(start, start + n)]
    began = time.perf_counter()
    for offset in range(0, n, chunk):
        intake.accept(TABLE, rows[offset:offset + chunk], source="bench")
    return n / (time.perf_counter() - began)


def service_for(engine: Any, target: Any, concurrency: int,
                batch_size: int = 200, wire: bool = True) -> DeliveryService:
    """As ``DeliveryService.from_settings`` builds it (db mode: batches of 1,000, claims
    without the data-API body; the data API's client sends the stored wire body, so the claim
    leaves the payload out)."""
    sends_wire = isinstance(target, FrontendApiClient | Stamped)
    return DeliveryService(
        engine, target, intake=StoreIntake(engine, Validator("lenient")),
        queue=OutboxQueue(engine, sends_wire=sends_wire, wire=wire), policy=RetryPolicy(),
        options=WorkerOptions(concurrency=concurrency, batch_size=batch_size, idle_poll_s=0.05))


async def drain(service: DeliveryService, n: int, found: dict[str, float] | None = None) -> float:
    """Deliver the queue; ``found`` gets the CPU per record and the peak RSS while delivering."""
    began, cpu = time.perf_counter(), time.process_time()
    sampler = asyncio.create_task(_sample_rss(found if found is not None else {}))
    try:
        if not await service.run_until_idle(600):
            raise RuntimeError("delivery did not finish")
    finally:
        sampler.cancel()
    if found is not None:
        found["cpu_us_per_record"] = (time.process_time() - cpu) / n * 1e6
    return n / (time.perf_counter() - began)


async def _sample_rss(found: dict[str, float]) -> None:
    found["peak_rss_mb"] = rss_mb()
    while True:
        await asyncio.sleep(0.05)
        found["peak_rss_mb"] = max(found["peak_rss_mb"], rss_mb())


async def steady_latency(service: DeliveryService, engine: Any, rate: float,
                         seconds: float) -> tuple[float, float]:
    """Accept ``rate`` records/s in small batches while delivering; p50/p99 to success (ms)."""
    intake, batch = service.intake, 10
    rows = [sample_record(TABLE, f"s{i}", serial=i) for i in range(int(rate * seconds) + batch)]
    began = time.perf_counter()
    for offset in range(0, len(rows) - batch, batch):
        await asyncio.to_thread(intake.accept, TABLE, rows[offset:offset + batch])
        service.wake()
        delay = began + (offset + batch) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    await service.run_until_idle(120)
    o = outbox.c
    with engine.connect() as conn:
        found = conn.execute(select(o.id, o.created_at).where(o.record_id.like("s%"))).all()
    replied = service.target.at  # type: ignore[attr-defined]
    waits = sorted((replied[i] - c).total_seconds() * 1000 for i, c in found if i in replied)
    return statistics.median(waits), waits[int(len(waits) * 0.99) - 1]


class Stamped:
    """The target, noting when each record's success reply came back (the store keeps one
    attempts row per delivered batch, not a time per record)."""

    def __init__(self, target: Any) -> None:
        self.target, self.name, self.at = target, target.name, {}

    async def deliver(self, item: Any) -> Any:
        outcome = await self.target.deliver(item)
        if outcome.ok:
            self.at[item.outbox_id] = datetime.now(UTC)
        return outcome

    async def aclose(self) -> None:
        await self.target.aclose()


async def hisbridge_api(url: str, concurrency: int, n: int, workdir: str,
                        latency_phase: bool = True) -> dict[str, float]:
    engine = fresh_store(workdir)
    accepted = accept(engine, n)
    client = FrontendApiClient(DataApiConfig(base_url=url, concurrency=concurrency))
    service = service_for(engine, Stamped(client), concurrency)
    result: dict[str, float] = {"accept_rate": accepted}
    result["rate"] = await drain(service, n, result)
    if latency_phase:
        p50, p99 = await steady_latency(service, engine, min(result["rate"] * 0.5, 2000), 3.0)
        result |= {"p50_ms": p50, "p99_ms": p99}
    await service.stop()
    engine.dispose()
    return result


def pg_database(admin_url: str) -> tuple[str, Any]:
    name = f"hbbench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    return admin_url.rsplit("/", 1)[0] + "/" + name, (admin, name)


async def db_mode(admin_url: str, n: int, workdir: str,
                  store: str = "sqlite") -> dict[str, float]:
    """Drain ``n`` queued rows into a scratch PostgreSQL database, then COPY the same rows
    into it; the gateway's store is a SQLite file or (``store="postgresql"``) a database of
    its own on the same server."""
    url, (admin, name) = pg_database(admin_url)
    store_url, (_, store_name) = pg_database(admin_url) if store == "postgresql" else ("", ("", ""))
    try:
        if store_url:
            engine = make_engine(store_url)
            upgrade(engine)
        else:
            engine = fresh_store(workdir)
        accept(engine, n)
        sink = FrontendDbSink(DbSinkConfig(url))
        sink.ensure_tables()
        service = service_for(engine, sink, 4, batch_size=1000, wire=False)
        ours = await drain(service, n)
        await service.stop()
        with sink.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {TABLE}"))
        copy = copy_rows(url, n)
        engine.dispose()
        return {"rate": ours, "copy_rate": copy}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            if store_name:
                conn.execute(text(f"DROP DATABASE IF EXISTS {store_name} WITH (FORCE)"))
        admin.dispose()


def copy_rows(url: str, n: int) -> float:
    import psycopg

    columns = [f.name for f in SPEC.fields]
    rows = [[db_row(SPEC, _json.loads(_json.dumps(sample_record(TABLE, f"r{i}", serial=i))))[c]
             for c in columns] for i in range(n)]
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        began = time.perf_counter()
        with cur.copy(f"COPY {TABLE} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return n / (time.perf_counter() - began)


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory now (``VmRSS``) or the process's peak so far (``VmHWM``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def memory(url: str, n: int, seconds: float, workdir: str) -> dict[str, float]:
    engine = fresh_store(workdir)
    accepted = 0.0
    began = time.perf_counter()
    for start in range(0, n, 50_000):
        accept(engine, min(50_000, n - start), start)
    accepted = n / (time.perf_counter() - began)
    client = FrontendApiClient(DataApiConfig(base_url=url, concurrency=16))
    service = service_for(engine, client, 16)
    service.start()
    peak, until = rss_mb(), time.monotonic() + seconds
    while time.monotonic() < until:
        await asyncio.sleep(0.25)
        peak = max(peak, rss_mb())
    await service.stop()
    with engine.connect() as conn:
        done = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'delivered'")).scalar()
    engine.dispose()
    return {"accept_rate": accepted, "peak_rss_mb": peak, "delivered": float(done or 0),
            "process_peak_mb": rss_mb("VmHWM")}


# ---------------------------------------------------------------- report
def spread(values: list[float]) -> dict[str, float]:
    """Median, min and max of several runs."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


async def main(args: argparse.Namespace) -> None:
    kind = receiver_kind(args.receiver)
    report: dict[str, Any] = {"receiver": kind, "records": args.records, "repeat": args.repeat,
                              "cpus": os.cpu_count()}
    workdir = tempfile.mkdtemp(prefix="hisbridge-bench-")
    source = "hisbridge.simulators.frontend" if kind == "sim" else "hisbridge.testing receiver"
    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    print(f"receiver: {kind} ({source}); records per run {args.records}; "
          f"cpus {os.cpu_count()}; event loop {loop}")
    try:
        if "api" in args.parts:
            report["api"] = await api_ceiling(args, kind, workdir)
        if "slow" in args.parts:
            report["slow"] = await api_with_latency(args, kind, workdir)
        if "db" in args.parts and args.pg_admin_url:
            for store in args.db_store:
                runs = [await db_mode(args.pg_admin_url, args.db_records, workdir, store)
                        for _ in range(args.repeat)]
                result = sorted(runs, key=lambda r: r["rate"] / r["copy_rate"])[len(runs) // 2]
                found = {"rows": args.db_records, "store": store,
                         "rate": spread([r["rate"] for r in runs]),
                         "copy_rate": spread([r["copy_rate"] for r in runs]),
                         "ratio": spread([r["rate"] / r["copy_rate"] for r in runs])}
                report["db" if store == "sqlite" else f"db_{store}_store"] = found
                print(f"\nDB mode into PostgreSQL ({args.db_records} rows, {store} store): "
                      f"hisbridge {result['rate']:.0f} rec/s, COPY {result['copy_rate']:.0f} "
                      f"rows/s, ratio {result['rate'] / result['copy_rate']:.0%}")
        if "memory" in args.parts and args.memory_records:
            with receiver(kind, 0.0, workdir) as url:
                found = await memory(url, args.memory_records, args.memory_seconds, workdir)
            report["memory"] = {"records": args.memory_records, **found}
            print(f"\nMemory: {args.memory_records} queued (accepted at "
                  f"{found['accept_rate']:.0f} rec/s), delivered {found['delivered']:.0f} in "
                  f"{args.memory_seconds:.0f} s, peak RSS while delivering "
                  f"{found['peak_rss_mb']:.0f} MB (process peak incl. accepting and the other "
                  f"parts: {found['process_peak_mb']:.0f} MB)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json_out:
        Path(args.json_out).write_text(_json.dumps(report).decode() + "\n", "utf-8")


async def api_ceiling(args: argparse.Namespace, kind: str, workdir: str) -> dict[str, Any]:
    with receiver(kind, 0.0, workdir) as url:
        print("\nAPI mode, no added latency")
        print(f"{'conc':>4} {'wrk req/s':>10} {'wrk p99':>8} {'hisbridge rec/s':>16} "
              f"{'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'accept rec/s':>13}")
        table: dict[str, Any] = {}
        for concurrency in args.concurrency:
            pairs = []
            for _ in range(args.repeat):  # wrk and hisbridge back to back: a noisy machine
                ceiling, wrk_p99 = wrk(url, concurrency, args.wrk_seconds, workdir)
                ours = await hisbridge_api(url, concurrency, args.records, workdir)
                pairs.append((ours["rate"] / ceiling, ceiling, wrk_p99, ours))
            ratio, ceiling, wrk_p99, ours = sorted(pairs, key=lambda p: p[0])[len(pairs) // 2]
            print(f"{concurrency:>4} {ceiling:>10.0f} {wrk_p99:>8} {ours['rate']:>16.0f} "
                  f"{ratio:>6.0%} {ours['p50_ms']:>7.1f} "
                  f"{ours['p99_ms']:>7.1f} {ours['accept_rate']:>13.0f}")
            table[str(concurrency)] = {
                key: spread([p[3][key] for p in pairs])
                for key in ("rate", "p50_ms", "p99_ms", "cpu_us_per_record", "peak_rss_mb")
            } | {"ceiling": spread([p[1] for p in pairs]), "ratio": spread([p[0] for p in pairs]),
                 "wrk_p99": wrk_p99}
    return table


async def api_with_latency(args: argparse.Namespace, kind: str, workdir: str) -> dict[str, Any]:
    with receiver(kind, 5.0, workdir) as url:
        print("\nAPI mode, receiver adds 5 ms per request (sequential pattern = one new "
              "connection per record, one at a time)")
        table: dict[str, Any] = {}
        for concurrency in args.slow_concurrency:
            runs = []
            for _ in range(args.repeat):
                sequential = sequential_new_connections(url, args.seq_records)
                ours = await hisbridge_api(url, concurrency, args.records, workdir, False)
                ceiling, _ = wrk(url, concurrency, args.wrk_seconds, workdir)
                runs.append((ours["rate"] / sequential, sequential, ours["rate"], ceiling))
            ratio, sequential, rate, ceiling = sorted(runs)[len(runs) // 2]
            print(f"  concurrency {concurrency:>2}: hisbridge {rate:5.0f} rec/s = {ratio:4.1f}x the "
                  f"sequential pattern ({sequential:.0f} rec/s); wrk {ceiling:.0f} req/s")
            table[str(concurrency)] = {"ratio": spread([r[0] for r in runs]),
                                       "pattern": spread([r[1] for r in runs]),
                                       "rate": spread([r[2] for r in runs]),
                                       "ceiling": spread([r[3] for r in runs])}
    return table


def _loop_factory() -> Any:
    """uvloop when installed, as ``hisbridge run`` gets it through uvicorn."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def parse_pg_admin() -> str:
    """The PostgreSQL admin URL the DB-mode parts use."""
    return os.environ.get("HISBRIDGE_TEST_PG",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=3000, help="records per hisbridge run")
    parser.add_argument("--seq-records", type=int, default=300)
    parser.add_argument("--db-records", type=int, default=20000)
    parser.add_argument("--db-store", nargs="+", default=["sqlite"],
                        choices=("sqlite", "postgresql"),
                        help="the gateway's own store in the DB-mode part (each one is run)")
    parser.add_argument("--memory-records", type=int, default=100_000)
    parser.add_argument("--memory-seconds", type=float, default=15.0)
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1,
                        help="paired runs per row; the median ratio is printed")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--slow-concurrency", type=int, nargs="+", default=[16, 32, 64],
                        help="hisbridge's concurrency against the 5 ms receiver")
    parser.add_argument("--json-out", help="also write every figure to this JSON file")
    parser.add_argument("--receiver", choices=("auto", "sim", "minimal"), default="auto")
    parser.add_argument("--parts", default="api,slow,db,memory",
                        help="comma-separated subset of api,slow,db,memory")
    parser.add_argument("--pg-admin-url", default=os.environ.get(
        "HISBRIDGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="an admin URL; a scratch database is created and dropped ('' to skip)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--latency-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.parts = set(args.parts.split(","))
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve:
        serve(arguments.serve, arguments.latency_ms, arguments.receiver, arguments.workdir)
    else:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(main(arguments))
