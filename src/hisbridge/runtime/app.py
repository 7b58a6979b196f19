"""The gateway's web app with the delivery workers in its event loop.

``build_app`` gives the web app the services the runtime built (``web.services.AppServices``)
and starts the ``DeliveryService`` in the app's lifespan. On SIGTERM or Ctrl-C uvicorn stops
taking requests and lets open ones finish; the lifespan then stops the workers: sends in flight
finish (grace period) and everything else returns to ``pending``. ``runtime.gateway`` assembles
the rest and serves it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.web.services import NO_SERVICES, AppServices

__all__ = ["build_app"]


def build_app(settings: Settings, engine: Engine, service: DeliveryService, *,
              clock: Clock = system_clock, services: AppServices = NO_SERVICES) -> FastAPI:
    """The gateway app over ``services`` with ``service`` (the delivery workers) started and
    stopped by its lifespan."""
    from hisbridge.web.app import create_app
    from hisbridge.web.intake import push_token

    if services.delivery is not service:
        services = replace(services, delivery=service)
    app = create_app(settings, engine, clock=clock, services=services)
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
