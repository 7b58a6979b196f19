"""A minimal front-end data-API receiver (protocol.md 2.4 reply shape), for tests and benchmarks.

Not the simulator (``hisbridge.simulators.frontend`` is the full one): this is the smallest
honest endpoint, ``POST``/``DELETE /hclient/emr/receive/{camelTable}`` answering
``{result, desc, id, errorCode, errorName}``, with per-id scripted failures and a fixed latency.
``serve_receiver`` runs it on a real loopback port in a background thread (a real HTTP client needs one).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hisbridge import _json
from hisbridge.connectors.frontend.errors import ERROR_NAMES
from hisbridge.dictionary import load_dictionary

__all__ = ["Received", "ReceiverState", "create_receiver_app", "free_ports", "serve_app",
           "serve_receiver"]


@dataclass(frozen=True, slots=True)
class Received:
    table: str
    record_id: str
    method: str
    body: dict[str, Any]
    answer: str


@dataclass
class ReceiverState:
    """What the receiver got and how it should answer.

    ``scripts[id]`` is a queue of answers: ``"ok"``, an errorCode such as ``"01"`` or ``"04"``
    (HTTP 200, ``result: false``), or ``"http500"``/``"http503"``/``"http429"``.
    """

    latency_s: float = 0.0
    record: bool = True
    scripts: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    received: list[Received] = field(default_factory=list)
    count: int = 0

    def script(self, record_id: str, *answers: str) -> None:
        self.scripts[record_id].extend(answers)

    def delivered_ids(self, table: str | None = None) -> list[str]:
        return [r.record_id for r in self.received
                if r.answer == "ok" and (table is None or r.table == table)]


def _reply(record_id: str, answer: str) -> Response:
    if answer == "ok":
        return JSONResponse({"result": True, "desc": "成功", "id": record_id})
    if answer.startswith("http"):
        status = int(answer[4:])
        headers = {"Retry-After": "1"} if status in (429, 503) else None
        return JSONResponse({"result": False, "desc": "busy", "id": record_id,
                             "errorCode": "99", "errorName": "系统异常"}, status, headers)
    return JSONResponse({"result": False, "desc": f"模拟错误 {answer}", "id": record_id,
                         "errorCode": answer, "errorName": ERROR_NAMES.get(answer, "")})


def create_receiver_app(state: ReceiverState) -> Starlette:
    """The receiver as an ASGI app over ``state``."""
    by_camel = {t.camel_name.lower(): t for t in load_dictionary()}

    async def receive(request: Request) -> Response:
        spec = by_camel.get(request.path_params["table"].lower())
        if spec is None:
            return JSONResponse({"result": False, "desc": "no such table", "errorCode": "03"}, 404)
        try:
            body = _json.loads(await request.body())
        except _json.JSONDecodeError:
            return _reply("", "05")
        if not isinstance(body, dict):
            return _reply("", "03")
        record_id = str(body.get("id") or body.get("deptCode") or body.get("dept_code") or "")
        if state.latency_s:
            await asyncio.sleep(state.latency_s)
        script = state.scripts.get(record_id)
        answer = script.popleft() if script else "ok"
        if request.method == "DELETE" and spec.name == "base_dept":
            answer = "03"
        state.count += 1
        if state.record:
            state.received.append(Received(spec.name, record_id, request.method, body, answer))
        return _reply(record_id, answer)

    return Starlette(routes=[Route("/hclient/emr/receive/{table}", receive,
                                   methods=["POST", "DELETE"])])


@contextmanager
def serve_receiver(state: ReceiverState) -> Iterator[str]:
    """Run the receiver on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    with serve_app(create_receiver_app(state), lifespan="off") as url:
        yield url


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports that were free a moment ago (all bound at once)."""
    socks = [socket.socket() for _ in range(n)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    ports = [int(sock.getsockname()[1]) for sock in socks]
    for sock in socks:
        sock.close()
    return ports


@contextmanager
def serve_app(app: Any, *, port: int = 0, lifespan: Literal["auto", "on", "off"] = "auto",
              on_stop: Callable[[], Awaitable[None]] | None = None) -> Iterator[str]:
    """Run any ASGI app on 127.0.0.1 in a thread (a free port unless ``port``); yields its URL.

    The one uvicorn-in-a-thread helper: tests, rigs and receivers all serve through it.
    ``on_stop`` runs in the server's own loop once it has stopped (to close client pools that
    were opened in that loop).
    """
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await super().shutdown(sockets)
            finally:
                if on_stop is not None:
                    await on_stop()

    # IPPROTO_TCP explicitly: asyncio switches Nagle off (TCP_NODELAY) only on sockets whose
    # proto says TCP, and a plain socket.socket() says 0 — every reply then waited ~40 ms for
    # the client's delayed ACK (44 ms per request instead of 0.3 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)
    server = Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
