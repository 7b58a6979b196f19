"""API-mode gateway CPU per delivered record, split by thread (event loop, store, HTTP client).

    PYTHONPATH=src python bench/delivery_threads.py [--records 20000] [--concurrency 16]
    PYTHONPATH=src python bench/delivery_threads.py --bare    # the HTTP client alone

As ``delivery.py`` drains a SQLite store into the front-end simulator (its own process), but
over more records and with each thread's CPU read from ``/proc/self/task``: the event loop
(``MainThread``: worker, client calls, uvloop), the store thread (claim and complete) and
pyreqwest's Tokio thread. ``--bare`` sends the same body with the bare pyreqwest client at the
same concurrency: the floor the client sets. With ``--wait-file`` it writes its pid there and
pauses 2 s before the drain, for ``py-spy record --pid`` to attach (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import delivery as bench

from hisbridge.connectors.frontend.client import FrontendApiClient
from hisbridge.connectors.frontend.config import DataApiConfig


def thread_cpu() -> dict[str, tuple[str, float]]:
    """Each thread's name and CPU seconds so far (``MainThread`` for the event loop's)."""
    found: dict[str, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/self/task"):
        try:
            name = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = "MainThread" if tid == str(os.getpid()) else name.replace("python", "store+other")
        found[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return found


def report(before: dict[str, tuple[str, float]], n: int, total_s: float, rate: float) -> None:
    for tid, (name, cpu) in sorted(thread_cpu().items(), key=lambda kv: -kv[1][1]):
        spent = cpu - before.get(tid, (name, 0.0))[1]
        if spent > 0:
            print(f"  {name:16} {spent / n * 1e6:7.1f} µs/record")
    print(f"{rate:,.0f} rec/s, gateway CPU {total_s / n * 1e6:.1f} µs/record (all threads)")


async def drain(records: int, concurrency: int, wait_file: str | None) -> None:
    workdir = tempfile.mkdtemp(prefix="hisbridge-threads-")
    engine = bench.fresh_store(workdir)
    bench.accept(engine, records)
    with bench.receiver("sim", 0.0, workdir) as url:
        client = FrontendApiClient(DataApiConfig(base_url=url, concurrency=concurrency))
        service = bench.service_for(engine, client, concurrency)
        if wait_file:
            Path(wait_file).write_text(str(os.getpid()))
            time.sleep(2.0)
        before, cpu = thread_cpu(), time.process_time()
        rate = await bench.drain(service, records)
        report(before, records, time.process_time() - cpu, rate)
        await service.stop()
    engine.dispose()


async def bare(requests: int, concurrency: int) -> None:
    from pyreqwest.client import ClientBuilder

    with bench.receiver("sim", 0.0, tempfile.mkdtemp(prefix="hisbridge-threads-")) as url:
        client = (ClientBuilder().max_connections(concurrency)
                  .pool_max_idle_per_host(concurrency).timeout(timedelta(seconds=15))
                  .no_proxy().build())
        body, target, left = bench.payload(1), url + bench.PATH, [requests]

        async def send() -> None:
            response = await client.request("POST", target).body_bytes(body).build().send()
            bytes(await response.bytes())

        async def sender() -> None:
            while left[0] > 0:
                left[0] -= 1
                await send()

        await asyncio.gather(*(send() for _ in range(concurrency * 4)))  # open the pool
        before, cpu, began = thread_cpu(), time.process_time(), time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        rate = requests / (time.perf_counter() - began)
        report(before, requests, time.process_time() - cpu, rate)
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--bare", action="store_true", help="the bare pyreqwest client only")
    parser.add_argument("--wait-file", help="write the pid here and pause before the drain")
    args = parser.parse_args()
    work = (bare(args.records, args.concurrency) if args.bare
            else drain(args.records, args.concurrency, args.wait_file))
    with asyncio.Runner(loop_factory=bench._loop_factory()) as runner:
        runner.run(work)


if __name__ == "__main__":
    main()
