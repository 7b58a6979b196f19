"""``/healthz`` (liveness) and ``/readyz`` (readiness), for the monitoring a hospital runs.

- ``GET /healthz``: the process serves HTTP. No I/O at all, so a slow database never makes a
  supervisor restart a gateway that is merely waiting: always 200 ``{"status": "ok"}``.
- ``GET /readyz``: can the gateway do its work now (``web.ready``: store, HIS, front-end,
  province, backlog age). 200 when no check fails, else 503; the body names each check and its
  state. Open like ``/healthz`` so any monitor can probe it without a session, and therefore
  terse: fixed check names and ``ok``/``fail``/``off``, no address, URL, error text or count.
  The reasons (an error kind, the backlog's age) are added only for a caller presenting the
  monitoring credential, ``console.metrics_token``, as a Bearer token.

Related, not the same: ``hisbridge check`` is the readiness report *before* going live (it also
tries every mapping); ``/api/v1/outbox/status`` is the queue's figures for the hospital's IT.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hisbridge.web.console.guard import bearer_matches
from hisbridge.web.ready import ready_checks

__all__ = ["mount"]

_NO_STORE = {"Cache-Control": "no-store"}


def _monitor(request: Request) -> bool:
    token = request.app.state.settings.console.metrics_token
    return token is not None and bearer_matches(request, token)


def mount(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    async def healthz() -> JSONResponse:
        """存活 liveness: the process answers (no I/O)."""
        return JSONResponse({"status": "ok"}, headers=_NO_STORE)

    @app.get("/readyz", tags=["ops"])
    async def readyz(request: Request) -> JSONResponse:
        """就绪 readiness: store, HIS, front-end, province reachable and the backlog young."""
        report = await ready_checks(request.app).report()
        return JSONResponse(report.as_json(detail=_monitor(request)),
                            200 if report.ready else 503, headers=_NO_STORE)
