"""``/healthz``: is the process up and can it reach its store."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from hisbridge.store.errors import STORE_ERRORS

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    def healthz(request: Request) -> JSONResponse:
        try:
            with request.app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except STORE_ERRORS:
            return JSONResponse({"status": "degraded", "store": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "store": "ok"})
