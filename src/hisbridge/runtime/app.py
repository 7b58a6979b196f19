"""The running gateway: the web app and the delivery workers in one event loop.

``serve(settings)`` migrates the store, builds the ``DeliveryService`` and the FastAPI app,
starts the workers in the app's lifespan and runs uvicorn. On SIGTERM or Ctrl-C uvicorn stops
taking requests and lets open ones finish; the lifespan then stops the workers: sends in flight
finish (grace period) and everything else returns to ``pending``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.audit.log import AuditRecorder
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.sharing.consent.encounters import EncounterHooks
from hisbridge.sharing.consent.service import ConsentService
from hisbridge.sharing.documents.service import RecordService
from hisbridge.warnings.services import MessageServices

__all__ = ["build_app", "serve"]


def build_app(settings: Settings, engine: Engine, service: DeliveryService, *,
              clock: Clock = system_clock, messages: MessageServices | None = None,
              consents: ConsentService | None = None, encounter_hooks: EncounterHooks | None = None,
              records: RecordService | None = None, audit: AuditRecorder | None = None) -> FastAPI:
    """The gateway app with ``service`` started and stopped by its lifespan."""
    from hisbridge.web.app import create_app
    from hisbridge.web.intake import push_token

    app = create_app(settings, engine, clock=clock, delivery=service, messages=messages,
                     consents=consents, encounter_hooks=encounter_hooks, records=records,
                     audit=audit)
    app.state.push_token = push_token(settings)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            service.start()
            try:
                yield state
            finally:
                await service.stop()

    app.router.lifespan_context = lifespan
    return app


async def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Run the gateway until SIGTERM/SIGINT."""
    import uvicorn

    from hisbridge.store.migrate import open_store

    engine = open_store(settings.store.url)
    service = DeliveryService.from_settings(settings, engine)
    app = build_app(settings, engine, service)
    config = uvicorn.Config(app, host=host or settings.web.host, port=port or settings.web.port,
                            log_level="info", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=30)
    try:
        await uvicorn.Server(config).serve()
    finally:
        engine.dispose()
