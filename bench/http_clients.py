"""HTTP client benchmark (issue 19): gateway CPU per request for the one request the connector sends.

    PYTHONPATH=src python bench/http_clients.py                      # 3,000 requests x 5 runs
    PYTHONPATH=src python bench/http_clients.py --requests 5000 --runs 7 --clients aiohttp,pyreqwest

The request is the front-end connector's: ``POST /hclient/emr/receive/emrPatientInfo`` with one
record's JSON (camelCase, a unique id per request) and the connector's headers, on keep-alive
connections, ``--concurrency`` (16) requests in flight, every reply read whole and checked for
``"result":true``. The receiver is the front-end simulator (``hisbridge simulate frontend``,
lenient, SQLite) in its own process on 127.0.0.1. For each client the gateway process's CPU time
(``time.process_time``: user + system of every thread, so a client's own I/O threads count too)
per request and the requests/s; runs are interleaved client by client (a noisy shared machine)
and each figure is the median of ``--runs`` runs with min and max. Bodies are built before the
clock starts; the first ``--concurrency`` x 4 requests of each run open the pool, untimed.

Clients: ``aiohttp`` (one session, ``TCPConnector(limit=16)``, pre-parsed URL, no per-request
options), ``pycurl`` (``CurlMulti`` on the asyncio loop through its socket and timer callbacks,
one easy handle per slot), ``pyreqwest`` (Rust reqwest/hyper on a Tokio thread), ``httpx``
(``AsyncClient`` with a 16-connection pool), and ``connector`` (hisbridge's
``FrontendApiClient.deliver``: the client above plus building the body from a stored record and
reading the reply into an ``Outcome``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator_ceiling import free_port, start_simulator

from hisbridge import _json
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.delivery.outcome import DeliveryItem
from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import to_wire, wire_body
from hisbridge.testing import sample_record

TABLE = "emr_patient_info"
PATH = load_dictionary().table(TABLE).api_path
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
CLIENTS = ("aiohttp", "pycurl", "pyreqwest", "httpx", "connector")
TIMEOUT_S, CONNECT_TIMEOUT_S = 15.0, 5.0

Send = Callable[[Any], Awaitable[bool]]  # one request; True when the front-end said result: true


# ---------------------------------------------------------------- the clients
class AiohttpClient:
    """aiohttp tuned: one session and connector, a pre-parsed URL, session-level timeout."""

    def __init__(self, url: str, concurrency: int) -> None:
        import aiohttp
        import yarl

        connector = aiohttp.TCPConnector(limit=concurrency, keepalive_timeout=30.0)
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S, sock_connect=CONNECT_TIMEOUT_S)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout,
                                              headers=HEADERS, auto_decompress=False)
        self._url = yarl.URL(url)

    async def send(self, body: bytes) -> bool:
        async with self._session.post(self._url, data=body) as response:
            reply = await response.read()
            return response.status == 200 and b'"result":true' in reply

    async def close(self) -> None:
        await self._session.close()


class PycurlClient:
    """libcurl's multi interface driven by the asyncio loop (socket + timer callbacks)."""

    def __init__(self, url: str, concurrency: int) -> None:
        import pycurl

        self._curl = pycurl
        self._loop = asyncio.get_running_loop()
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_SOCKETFUNCTION, self._on_socket)
        self._multi.setopt(pycurl.M_TIMERFUNCTION, self._on_timer)
        self._multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, concurrency)
        self._timer: asyncio.TimerHandle | None = None
        self._idle = [self._handle(url) for _ in range(concurrency)]
        self._pending: dict[Any, tuple[asyncio.Future[int], list[bytes]]] = {}

    def _handle(self, url: str) -> Any:
        c = self._curl
        handle = c.Curl()
        handle.setopt(c.URL, url)
        handle.setopt(c.HTTPHEADER, [f"{k}: {v}" for k, v in HEADERS.items()])
        handle.setopt(c.TIMEOUT_MS, int(TIMEOUT_S * 1000))
        handle.setopt(c.CONNECTTIMEOUT_MS, int(CONNECT_TIMEOUT_S * 1000))
        handle.setopt(c.NOSIGNAL, 1)
        return handle

    def _on_socket(self, event: int, fd: int, multi: Any, data: Any) -> None:
        c, loop = self._curl, self._loop
        loop.remove_reader(fd)
        loop.remove_writer(fd)
        if event in (c.POLL_IN, c.POLL_INOUT):
            loop.add_reader(fd, self._act, fd, c.CSELECT_IN)
        if event in (c.POLL_OUT, c.POLL_INOUT):
            loop.add_writer(fd, self._act, fd, c.CSELECT_OUT)

    def _on_timer(self, ms: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = (None if ms < 0 else
                       self._loop.call_later(ms / 1000, self._act, self._curl.SOCKET_TIMEOUT, 0))

    def _act(self, fd: int, events: int) -> None:
        self._multi.socket_action(fd, events)
        while True:
            queued, done, failed = self._multi.info_read()
            for handle in done:
                self._finish(handle, None)
            for handle, _errno, message in failed:
                self._finish(handle, ConnectionError(message))
            if not queued:
                return

    def _finish(self, handle: Any, error: Exception | None) -> None:
        self._multi.remove_handle(handle)
        future, _ = self._pending.pop(handle)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(handle.getinfo(self._curl.RESPONSE_CODE))
        self._idle.append(handle)

    async def send(self, body: bytes) -> bool:
        c = self._curl
        handle = self._idle.pop()
        chunks: list[bytes] = []
        handle.setopt(c.POSTFIELDS, body)
        handle.setopt(c.WRITEFUNCTION, chunks.append)
        future: asyncio.Future[int] = self._loop.create_future()
        self._pending[handle] = (future, chunks)
        self._multi.add_handle(handle)
        status = await future
        return status == 200 and b'"result":true' in b"".join(chunks)

    async def close(self) -> None:
        for handle in self._idle:
            handle.close()
        self._multi.close()


class PyreqwestClient:
    """pyreqwest: Rust reqwest (hyper, rustls) with its own pool, on a Tokio runtime thread."""

    def __init__(self, url: str, concurrency: int) -> None:
        from pyreqwest.client import ClientBuilder

        self._client = (ClientBuilder().max_connections(concurrency)
                        .timeout(timedelta(seconds=TIMEOUT_S))
                        .connect_timeout(timedelta(seconds=CONNECT_TIMEOUT_S))
                        .pool_idle_timeout(timedelta(seconds=30)).default_headers(HEADERS)
                        .follow_redirects(False).build())
        self._url = url

    async def send(self, body: bytes) -> bool:
        response = await self._client.post(self._url).body_bytes(body).build().send()
        reply = await response.bytes()
        return response.status == 200 and b'"result":true' in bytes(reply)

    async def close(self) -> None:
        await self._client.close()


class HttpxClient:
    """httpx ``AsyncClient`` with a pool of ``concurrency`` keep-alive connections."""

    def __init__(self, url: str, concurrency: int) -> None:
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.AsyncClient(limits=limits, headers=HEADERS, trust_env=False,
                                         timeout=httpx.Timeout(TIMEOUT_S,
                                                               connect=CONNECT_TIMEOUT_S))
        self._url = url

    async def send(self, body: bytes) -> bool:
        response = await self._client.post(self._url, content=body)
        return response.status_code == 200 and b'"result":true' in response.content

    async def close(self) -> None:
        await self._client.aclose()


class ConnectorClient:
    """hisbridge's own connector: ``FrontendApiClient.deliver`` on a stored record."""

    def __init__(self, url: str, concurrency: int) -> None:
        from hisbridge.connectors.frontend.client import FrontendApiClient

        base = url.removesuffix(PATH)
        self._client = FrontendApiClient(DataApiConfig(base_url=base, concurrency=concurrency))

    async def send(self, item: DeliveryItem) -> bool:
        return (await self._client.deliver(item)).ok

    async def close(self) -> None:
        await self._client.aclose()


KINDS: dict[str, Any] = {"aiohttp": AiohttpClient, "pycurl": PycurlClient,
                         "pyreqwest": PyreqwestClient, "httpx": HttpxClient,
                         "connector": ConnectorClient}


# ---------------------------------------------------------------- the measurement
def records(tag: str, n: int) -> list[dict[str, Any]]:
    """``n`` stored emr_patient_info records with unique ids."""
    return [sample_record(TABLE, f"{tag}-{i}", serial=i) for i in range(n)]


def payloads(kind: str, rows: list[dict[str, Any]]) -> list[Any]:
    """What ``send`` takes: wire bytes, or outbox items for the connector."""
    if kind != "connector":
        spec = load_dictionary().table(TABLE)
        return [_json.dumps(to_wire(spec, row)) for row in rows]
    spec, now = load_dictionary().table(TABLE), datetime.now(UTC)
    return [DeliveryItem(i, TABLE, row[spec.primary_key], 1, "upsert", _json.dumps_str(row), 1,
                         now, wire=wire_body(spec, row))  # as the intake stores them
            for i, row in enumerate(rows)]


async def pump(send: Send, work: Iterator[Any], concurrency: int) -> int:
    """Send everything in ``work`` with ``concurrency`` requests in flight; the failures."""
    failures = 0

    async def lane() -> None:
        nonlocal failures
        for payload in work:
            failures += not await send(payload)

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return failures


def sockets(port: int) -> dict[str, int]:
    """Loopback TCP sockets to or from ``port`` by state (Linux ``/proc/net/tcp``): a client
    that keeps its connections alive leaves no new ``TIME_WAIT`` behind while it sends."""
    found = {"established": 0, "time_wait": 0}
    names = {"01": "established", "06": "time_wait"}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, remote, state = line.split()[1:4]
            ports = {int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)}
            if port in ports and state in names:
                found[names[state]] += 1
    return found


async def one_run(kind: str, url: str, args: argparse.Namespace, tag: str) -> dict[str, float]:
    """Open the client, warm its pool, then time ``args.requests`` requests."""
    warm, port = args.concurrency * 4, int(url.split(":")[2].split("/")[0])
    work = payloads(kind, records(tag, warm + args.requests))
    client = KINDS[kind](url, args.concurrency)
    try:
        await pump(client.send, iter(work[:warm]), args.concurrency)
        before = sockets(port)
        cpu, wall = time.process_time(), time.perf_counter()
        failures = await pump(client.send, iter(work[warm:]), args.concurrency)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after = sockets(port)
    finally:
        await client.close()
    if failures:
        raise RuntimeError(f"{kind}: {failures} of {args.requests} requests not accepted")
    return {"cpu_us": cpu / args.requests * 1e6, "rate": args.requests / wall,
            "closed": after["time_wait"] - before["time_wait"],
            "open": after["established"] / 2}  # both ends of each loopback connection


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


async def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in args.clients}
    for n in range(args.runs):
        for kind in args.clients:
            runs[kind].append(await one_run(kind, url, args, f"{kind}-{n}"))
    return {kind: {"cpu_us": spread([r["cpu_us"] for r in found]),
                   "rate": spread([r["rate"] for r in found]),
                   "connections": max(r["open"] for r in found),
                   "closed": max(r["closed"] for r in found)} for kind, found in runs.items()}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("aiohttp", "pycurl", "pyreqwest", "httpx", "uvloop"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "-"
    return found


def render(table: dict[str, Any]) -> str:
    base = table.get("aiohttp", {}).get("cpu_us", {}).get("median")
    lines = ["| client | CPU µs/request | requests/s | CPU vs aiohttp | connections (closed) |",
             "|---|---:|---:|---:|---:|"]
    for kind, found in table.items():
        cpu, rate = found["cpu_us"], found["rate"]
        ratio = f"{cpu['median'] / base - 1:+.0%}" if base else ""
        lines.append(f"| {kind} | {cpu['median']:.0f} ({cpu['min']:.0f}–{cpu['max']:.0f}) | "
                     f"{rate['median']:,.0f} ({rate['min']:,.0f}–{rate['max']:,.0f}) | {ratio} | "
                     f"{found['connections']:.0f} ({found['closed']:.0f}) |")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as store_dir:
        simulator = start_simulator(port, store_dir)
        try:
            table = await measure(f"http://127.0.0.1:{port}{PATH}", args)
        finally:
            simulator.terminate()
            simulator.wait(timeout=10)
    print(f"{args.requests} requests per run, concurrency {args.concurrency}, "
          f"{args.runs} runs (median, min–max); {versions()}")
    print(render(table))
    if args.json_out:
        report = {"benchmark": "http_clients", "requests": args.requests, "runs": args.runs,
                  "concurrency": args.concurrency, "versions": versions(), "clients": table}
        Path(args.json_out).write_text(json.dumps(report, indent=2) + "\n", "utf-8")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--clients", default=",".join(CLIENTS),
                        help=f"comma-separated subset of {','.join(CLIENTS)}")
    parser.add_argument("--json-out", help="also write the figures to this JSON file")
    args = parser.parse_args()
    args.clients = args.clients.split(",")
    unknown = set(args.clients) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {', '.join(sorted(unknown))}")
    return args


def _loop_factory() -> Any:
    """uvloop when installed, as ``hisbridge run`` gets it through uvicorn."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main(parse()))
