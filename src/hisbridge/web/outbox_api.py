"""``/api/v1/outbox``: the queue at a glance, dead letters, and replay (bearer token).

- ``GET /api/v1/outbox/status``: counts per table x state, oldest pending age, quarantine.
- ``GET /api/v1/outbox/dead?table=T&limit=N``: dead letters with reason and reply.
- ``POST /api/v1/outbox/replay``: ``{"table", "state": "dead", "since", "until",
  "error_code", "dry_run"}``; a dry run returns the count that would be replayed.

Each takes ``institution`` (a hospital group's organisation code; query parameter or body
field) to see or replay one institution's entries only; a code the gateway does not serve
answers 404 naming those it does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hisbridge.dictionary import load_dictionary
from hisbridge.store.queries import DeadFilter, ReplayFilter, dead_letters, outbox_status, replay
from hisbridge.store.scope import InstitutionScope
from hisbridge.web.console.scope import institution_scope, served
from hisbridge.web.intake import Problem, require_token
from hisbridge.web.services import services_of

__all__ = ["ReplayRequest", "mount"]


class ReplayRequest(BaseModel):
    """Which entries to replay; ``dry_run`` previews the count."""

    table: str
    state: Literal["dead", "retry_wait"] = "dead"
    since: datetime | None = None
    until: datetime | None = None
    error_code: str | None = Field(None, max_length=16)
    dry_run: bool = False
    institution: str | None = Field(None, max_length=50)


def _table(name: str) -> str:
    spec = load_dictionary().get(name)
    if spec is None:
        raise Problem(404, {"error": f"未知的表 unknown table: {name[:80]!r}",
                            "known": list(load_dictionary().names)})
    return spec.name


def _scope(request: Request, code: str | None) -> InstitutionScope:
    found = institution_scope(request, code)
    if found is None:
        raise Problem(404, {"error": f"未知机构 unknown institution: {(code or '')[:50]!r}",
                            "known": [c for c, _ in served(request)]})
    return found


def mount(app: FastAPI) -> None:
    router = APIRouter(prefix="/api/v1/outbox", tags=["outbox"])

    @router.get("/status")
    async def status(request: Request, institution: str | None = None) -> JSONResponse:
        """Counts per table x state and the oldest waiting entry's age per table."""
        require_token(request)
        state = request.app.state
        found = await run_in_threadpool(outbox_status, state.engine, state.clock.now(),
                                        _scope(request, institution))
        return JSONResponse({**found.as_dict(), "institution": institution})

    @router.get("/dead")
    async def dead(request: Request, table: str | None = None, limit: int = 100,
                   institution: str | None = None) -> JSONResponse:
        """Dead letters not yet replayed, newest first, each with its institution."""
        require_token(request)
        name = _table(table) if table else None
        scope = _scope(request, institution)
        rows = await run_in_threadpool(dead_letters, request.app.state.engine,
                                       DeadFilter(name, scope=scope), max(1, min(limit, 1000)))
        return JSONResponse({"dead": [{**r.as_dict(), "institution": scope.owner(r.institution)}
                                      for r in rows]})

    @router.post("/replay")
    async def replay_entries(request: Request, body: ReplayRequest) -> JSONResponse:
        """Replay (or preview) entries matching the filter; new entries link to the old."""
        require_token(request)
        flt = ReplayFilter(_table(body.table), body.state, body.since, body.until,
                           body.error_code, _scope(request, body.institution))
        state = request.app.state
        result = await run_in_threadpool(replay, state.engine, flt, state.clock.now(),
                                         dry_run=body.dry_run, requested_by="api")
        delivery = services_of(request.app).delivery
        if result.replayed and delivery is not None:
            delivery.wake()
        return JSONResponse(result.as_dict())

    app.include_router(router)
