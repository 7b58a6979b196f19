"""Small raw-ASGI pieces: read a bounded body, send JSON, drop a connection, inject faults.

The data API's hot path and the fault layer are plain ASGI (no Request objects) to keep the
per-record cost low; the fault layer wraps the whole app, outside Starlette's error
middleware, so that it can reach the server's connection to drop it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from hisbridge import _json
from hisbridge.simulators.frontend import protocol as p
from hisbridge.simulators.frontend.faults import FaultDecision

__all__ = [
    "ASGIApp",
    "BodyTooLarge",
    "FaultLayer",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "drop_connection",
    "read_body",
    "send_json",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json;charset=UTF-8")]


class BodyTooLarge(Exception):
    """The body passed the configured limit (it was read to the end and discarded)."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; raises BodyTooLarge past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        more = message.get("more_body", False)
    if size > limit:
        raise BodyTooLarge(size)
    return b"".join(chunks)


async def send_json(send: Send, status: int, payload: Any, headers: Any = ()) -> None:
    body = _json.dumps(payload)
    await send({
        "type": "http.response.start", "status": status,
        "headers": [*_JSON_HEADERS, (b"content-length", str(len(body)).encode()), *headers],
    })
    await send({"type": "http.response.body", "body": body})


async def drop_connection(send: Send) -> None:
    """Close the connection without any reply.

    Under uvicorn the ASGI ``send`` is a method of the request cycle holding the transport:
    closing it makes the client see the server hang up. In-process (``httpx.ASGITransport``)
    there is no connection, so we raise ``httpx.RemoteProtocolError``, which the client sees
    as the same transport error.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise httpx.RemoteProtocolError("模拟断开连接 / simulated dropped connection")
    transport.close()
    for _ in range(3):  # let the server notice the disconnect before we return
        await asyncio.sleep(0)


Logger = Callable[[str, str, Any, int, dict[str, Any] | None], None]


class FaultLayer:
    """Applies the injector's decision to every request under ``/hclient``."""

    def __init__(self, app: ASGIApp, decide: Callable[[], FaultDecision], log: Logger,
                 max_body: int) -> None:
        self.app = app
        self.decide = decide
        self.log = log
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/hclient"):
            await self.app(scope, receive, send)
            return
        decision = self.decide()
        if decision.outage or decision.drop or decision.error_code:
            await self._refuse(scope, receive, send, decision)
        elif decision.timed_out:
            await self._late(scope, receive, send, decision.delay_s)
        else:
            if decision.delay_s:
                await asyncio.sleep(decision.delay_s)
            await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, d: FaultDecision) -> None:
        body = await self._body(receive)
        if d.drop:
            self.log(scope["method"], scope["path"], body, 0, None)
            await drop_connection(send)
            return
        if d.outage:
            reply = p.failure(p.SYSTEM, "前置软件暂停服务（模拟停机）/ simulated outage")
        else:
            await asyncio.sleep(d.delay_s)
            reply = p.failure(d.error_code or p.SYSTEM, "模拟故障 / injected fault")
        self.log(scope["method"], scope["path"], body, d.http_status, reply)
        await send_json(send, d.http_status, reply)

    async def _late(self, scope: Scope, receive: Receive, send: Send, delay: float) -> None:
        """Process the request, then hold the reply back past the client's timeout."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(delay)
        for message in held:
            await send(message)

    async def _body(self, receive: Receive) -> Any:
        try:
            raw = await read_body(receive, self.max_body)
            return _json.loads(raw) if raw else None
        except (BodyTooLarge, ValueError):
            return None
