"""The front-end simulator in its own process, as the bench's receiver, and what it received.

``hisbridge simulate frontend`` (lenient, a fresh SQLite file) on a free loopback port; an
optional latency is set through its ``POST /sim/faults``. ``received()`` reads two counts the
simulator keeps: its request sequence (every ``/hclient`` request it answered, one per record
for the data API, kept even when the request log is trimmed) and the rows of its 20 national
tables (one per record key). With no other ``/hclient`` traffic (the gateway's message poller
off), ``rows == expected`` means none missing and ``requests == expected`` none sent twice.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SRC = str(Path(__file__).resolve().parents[1] / "src")


@dataclass(frozen=True)
class Received:
    requests: int
    rows: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC}


def call(url: str, body: Any = None, timeout: float = 30) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read())


def received(url: str) -> Received:
    last = call(f"{url}/sim/requests?limit=1")
    rows = call(f"{url}/sim/tables")
    return Received(requests=int(last[-1]["seq"]) if last else 0, rows=sum(rows.values()))


def requests_so_far(url: str) -> int:
    last = call(f"{url}/sim/requests?limit=1")
    return int(last[-1]["seq"]) if last else 0


@contextmanager
def frontend_simulator(folder: Path, latency_ms: float = 0.0) -> Iterator[str]:
    """The simulator's base URL while it runs (stopped and its log kept in ``folder``)."""
    port = free_port()
    store = folder / f"frontend-{uuid.uuid4().hex[:6]}.sqlite"
    with (folder / "frontend.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hisbridge", "simulate", "frontend", "--port", str(port),
             "--store", f"sqlite:///{store}", "--reset"], stdout=log, stderr=log, env=env())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                call(f"{url}/sim/tables", timeout=5)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"front-end simulator did not start: see {log.name}") from None
                time.sleep(0.2)
        if latency_ms:
            call(f"{url}/sim/faults", {"latency_ms": latency_ms})
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
