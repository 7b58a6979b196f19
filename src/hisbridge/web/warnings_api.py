"""``/api/v1/warnings``: the doctor's warnings as JSON, marking read, and a live SSE stream.

(Formerly ``/api/v1/messages``, which still answers with a 308 redirect: ``web.redirects``.)

Every call carries the signed identity of the workstation page (``userId``, ``deptCode``,
``orgCode``, ``exp``, ``sig``, built by the HIS with the shared secret, see
``hisbridge.web.signing``); other query parameters (``unread``, ``since``) are not part of the
signature. ``orgCode`` names the institution of a hospital group whose warnings the doctor
sees (optional when the gateway serves one): a link signed for one institution cannot read
another's. The services come from ``app.state.messages`` (``build_message_services``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from hisbridge import _json
from hisbridge.warnings.addressee import NotAddressee
from hisbridge.warnings.hub import RESYNC
from hisbridge.warnings.institution import InstitutionMessages
from hisbridge.warnings.services import MessageServices
from hisbridge.web.signing import REFUSALS, SignatureError, single_values, verify

__all__ = ["IDENTITY", "Reader", "desk_of", "mount", "poll_status", "reader_of"]

IDENTITY = ("userId", "deptCode", "orgCode", "exp", "sig")

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"])


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is reading: the doctor, (optionally) their department and their institution
    (``orgCode``; None when the gateway serves one), from a signed request."""

    user_id: str
    dept_code: str | None
    org_code: str | None = None

    def wants(self, message: dict[str, Any]) -> bool:
        """Is the published ``message`` for this reader (theirs, or their department's)?"""
        same_dept = bool(self.dept_code) and message["deptCode"] == self.dept_code
        return bool(message["userId"] == self.user_id or same_dept)


def reader_of(request: Request) -> Reader:
    """The verified reader of ``request``, or ``SignatureError`` (also when the link names no
    institution the gateway serves)."""
    pairs = request.query_params.multi_items()
    params = single_values((k, v) for k, v in pairs if k in IDENTITY)
    services: MessageServices = request.app.state.messages
    keys = services.settings.web.verification_keys()
    verify(params, keys, now=services.clock.now().timestamp())
    if not params.get("userId"):
        raise SignatureError("missing")
    who = Reader(params["userId"], params.get("deptCode") or None, params.get("orgCode") or None)
    desk_of(services, who)
    return who


def desk_of(services: MessageServices, who: Reader) -> InstitutionMessages:
    """The message parts of the reader's institution, or ``SignatureError("institution")``."""
    desk = services.desk(who.org_code)
    if desk is None:
        raise SignatureError("institution")
    return desk


def _reader(request: Request) -> tuple[Reader, InstitutionMessages]:
    try:
        who = reader_of(request)
    except SignatureError as exc:
        raise HTTPException(403, REFUSALS.get(exc.reason, REFUSALS["bad"])) from exc
    return who, desk_of(request.app.state.messages, who)


def poll_status(services: MessageServices | InstitutionMessages) -> dict[str, Any]:
    """Is the (institution's) poller keeping up? ``delayed`` when the last good poll is old or
    polls fail; ``notices``: what every reader is told, ranked (``hisbridge.warnings.notices``)."""
    return services.status()


@router.get("")
async def list_warnings(request: Request, unread: bool = False,
                        since: int = Query(0, ge=0), limit: int = Query(200, ge=1, le=1000)
                        ) -> JSONResponse:
    """The reader's messages after ``since`` (a seq), oldest first (by the front-end's
    ``seq``), each with its owner's state, and the poller's status."""
    who, desk = _reader(request)
    found = await asyncio.to_thread(desk.store.find, user_id=who.user_id,
                                    dept_code=who.dept_code, unread=unread, since_seq=since,
                                    limit=limit)
    status = await asyncio.to_thread(poll_status, desk)
    return JSONResponse({"messages": found, "status": status})


async def _change(request: Request, msg_id: str, action: str) -> JSONResponse:
    who, desk = _reader(request)
    services: MessageServices = request.app.state.messages
    try:
        done = await asyncio.to_thread(
            desk.store.change_state, msg_id, action, user_id=who.user_id,
            dept_code=who.dept_code, department_handling=services.interaction.department_handling)
    except NotAddressee as exc:
        return JSONResponse({"result": False, "problem": "not_addressee", "desc": exc.message,
                             "hint": exc.hint, "id": msg_id}, 403)
    if not done:
        raise HTTPException(404, f"没有这条消息 no such message for this doctor: {msg_id}")
    return JSONResponse({"result": True, "id": msg_id})


@router.post("/{msg_id}/read")
async def mark_read(msg_id: str, request: Request) -> JSONResponse:
    """Mark a message read for its addressee (idempotent; who and when are kept). A colleague
    gets 403 for a message addressed to another doctor unless department handling is on."""
    return await _change(request, msg_id, "read")


@router.post("/{msg_id}/handled")
async def mark_handled(msg_id: str, request: Request) -> JSONResponse:
    """Mark a message handled (去处理; implies read), with the same rules as ``read``."""
    return await _change(request, msg_id, "handled")


def _event(name: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {_json.dumps_str(data)}\n\n"


async def _events(desk: InstitutionMessages, who: Reader, since: int) -> AsyncIterator[str]:
    heartbeat = desk.interaction.poller.heartbeat_s
    sub = await desk.hub.subscribe(who.wants)
    try:
        yield "retry: 3000\n\n"
        backlog = await asyncio.to_thread(desk.store.find, user_id=who.user_id,
                                          dept_code=who.dept_code, since_seq=since)
        last = since
        for message in backlog:
            last = message["seq"]
            yield _event("message", message, last)
        yield _event("status", await asyncio.to_thread(poll_status, desk))
        while True:
            try:
                item = await asyncio.wait_for(sub.queue.get(), timeout=heartbeat)
            except TimeoutError:
                status = await asyncio.to_thread(poll_status, desk)
                yield ": heartbeat\n\n" + _event("status", status)
                continue
            if item is RESYNC:
                sub.overflowed = False
                yield _event("resync", {"since": last})
            elif "status" in item:
                yield _event("status", item["status"])
            elif item["seq"] > last:
                last = item["seq"]
                yield _event("message", item, last)
    finally:
        desk.hub.unsubscribe(sub)


@router.get("/stream")
async def stream(request: Request, since: int = Query(0, ge=0)) -> StreamingResponse:
    """Server-sent events: ``message`` for each new message, ``status`` with each heartbeat."""
    who, desk = _reader(request)
    last_id = request.headers.get("last-event-id", "")
    start = int(last_id) if last_id.isdigit() else since
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(desk, who, start), media_type="text/event-stream",
                             headers=headers)


def mount(app: FastAPI) -> None:
    """Add the warnings API (needs ``app.state.messages``; absent -> the routes are not added)."""
    if getattr(app.state, "messages", None) is None:
        return
    app.include_router(router)
