"""The whole gateway in one process: web, delivery, HIS polling, consents, warnings, SSO.

``assemble`` builds every part that the settings enable and returns a ``Gateway`` whose app
starts and stops the background work in its lifespan. ``hisbridge run`` and ``hisbridge demo``
both use it, so what the demo shows is what a hospital runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.runtime.activity import Activity, summary_loop
from hisbridge.settings import Settings
from hisbridge.store.migrate import open_store
from hisbridge.web.services import AppServices

if TYPE_CHECKING:
    from hisbridge.project.load import Project
    from hisbridge.runtime.delivery import DeliveryService
    from hisbridge.runtime.schedule import PollScheduler
    from hisbridge.runtime.sharing import GdHealthServices
    from hisbridge.sharing.group import SharingGroup
    from hisbridge.warnings.services import MessageServices, MessageSettings

__all__ = ["Gateway", "assemble", "message_settings"]

Job = Callable[[], Coroutine[Any, Any, None]]


@dataclass(slots=True)
class Gateway:
    """The assembled parts; ``app`` is what uvicorn serves, over ``services``."""

    settings: Settings
    engine: Engine
    delivery: DeliveryService
    app: FastAPI
    services: AppServices
    gdhealth: GdHealthServices | None = None
    messages: MessageServices | None = None
    scheduler: PollScheduler | None = None
    jobs: list[Job] = field(default_factory=list)
    loop: asyncio.AbstractEventLoop | None = None


def _gdhealth(settings: Settings, engine: Engine, clock: Clock) -> GdHealthServices | None:
    if not settings.gdhealth.enabled:
        return None
    from hisbridge.runtime.sharing import build_gdhealth_services

    return build_gdhealth_services(settings, engine, clock)


def message_settings(settings: Settings) -> MessageSettings:
    """The sub-settings the message concern reads (``warnings.services``); a hospital group's
    institutions when the ``institutions`` setting lists them."""
    from hisbridge.warnings.services import MessageSettings

    group = settings.institution_list() if settings.institutions else ()
    return MessageSettings(settings.interaction, settings.frontend, settings.web, group)


def _messages(settings: Settings, engine: Engine, clock: Clock) -> MessageServices | None:
    """The message services, unless there is nothing to poll or sign on with (no licence and
    the poller off; a group whose institutions are all disabled)."""
    wanted = message_settings(settings)
    served = wanted.served()
    if not served or (not settings.interaction.poller.enabled
                      and not any(f.license for f in served)):
        return None
    from hisbridge.warnings.services import build_message_services

    return build_message_services(wanted, engine, clock)


def _bound_memory(settings: Settings) -> None:
    """Allocator and SQLite bounds for a process that runs for months (before threads start)."""
    from hisbridge.runtime.memory import (
        cap_malloc_arenas,
        fix_mmap_threshold,
        limit_sqlite_heap,
        trace_peaks_from_env,
    )

    trace_peaks_from_env()  # a debugging aid: HISBRIDGE_TRACEMALLOC=<file>
    cap_malloc_arenas(settings.memory.malloc_arenas)
    fix_mmap_threshold(settings.memory.mmap_threshold_kib)
    limit_sqlite_heap(settings.memory.sqlite_heap_limit_mb)


def _jobs(parts: Gateway, activity: Activity, clock: Clock) -> list[Job]:
    """The background work: consent polling, upkeep, summaries, warnings, HIS polling."""
    from hisbridge.runtime.activity import consent_poll_loop
    from hisbridge.runtime.memory import trim_loop
    from hisbridge.store.retention import prune_loop

    settings, engine, delivery = parts.settings, parts.engine, parts.delivery
    jobs: list[Job] = []
    if (gd := parts.gdhealth) is not None:
        jobs.append(lambda: consent_poll_loop(gd.group, activity))  # every institution
    jobs += [lambda: trim_loop(settings.memory.trim_every_s),
             lambda: prune_loop(engine, settings.retention, clock)]
    if settings.log.summary_every_s > 0:
        jobs.append(lambda: summary_loop(activity, engine, delivery.metrics,
                                         settings.log.summary_every_s, clock))
    if (messages := parts.messages) is not None:
        jobs.append(lambda: messages.run(asyncio.Event()))
    if parts.scheduler is not None:
        jobs.append(parts.scheduler.run)
    jobs.append(parts.app.state.outbox_gauges.run)  # /metrics' recount of finished entries
    return jobs


def _scheduler(settings: Settings, config: Path | None, delivery: DeliveryService, engine: Engine,
               clock: Clock, t0_every_s: float | None,
               activity: Activity) -> PollScheduler | None:
    if config is None or not settings.his.source_url:
        return None
    from hisbridge.runtime.extraction import open_project
    from hisbridge.runtime.schedule import PollScheduler
    from hisbridge.sources.sql_poll import SqlPoller

    poller = SqlPoller(open_project(config, settings), delivery, engine, clock=clock)
    return PollScheduler(poller, settings.his, clock=clock, t0_every_s=t0_every_s,
                         activity=activity)


def _push_project(settings: Settings, config: Path | None) -> Project | None:
    """The project whose code maps and drug catalogue pushed records go through, if any."""
    if config is None:
        return None
    from hisbridge.errors import ConfigError
    from hisbridge.logs import get_logger
    from hisbridge.runtime.extraction import open_project

    try:
        return open_project(config, settings)
    except ConfigError as exc:  # no mappings: a push-only site sends national codes
        get_logger("hisbridge.push").warning("push.no_project", error=str(exc)[:200])
        return None


def assemble(settings: Settings, *, config: Path | None = None, clock: Clock = system_clock,
             t0_every_s: float | None = None, upgrade_store: bool = False) -> Gateway:
    """Open the store and build every enabled part of the gateway. An empty store gets the
    schema; an older one is refused (``hisbridge upgrade``) unless ``upgrade_store`` (the demo
    upgrades its own synthetic store)."""
    from hisbridge.runtime.app import build_app
    from hisbridge.runtime.delivery import DeliveryService

    _bound_memory(settings)
    engine = open_store(settings.store.url, config, upgrade_old=upgrade_store)
    delivery = DeliveryService.from_settings(settings, engine, clock=clock)
    activity = Activity()
    gdhealth = _gdhealth(settings, engine, clock)
    messages = _messages(settings, engine, clock)
    scheduler = _scheduler(settings, config, delivery, engine, clock, t0_every_s, activity)
    services = AppServices(
        delivery=delivery, messages=messages, activity=activity,  # the push API counts into the summary line
        poller=scheduler.poller if scheduler else None,  # the console's reconciliation page
        project=scheduler.poller.project if scheduler else _push_project(settings, config))
    if gdhealth is not None:
        services = gdhealth.for_app(services)
    app = build_app(settings, engine, delivery, clock=clock, services=services)
    gateway = Gateway(settings, engine, delivery, app, services, gdhealth, messages, scheduler)
    gateway.jobs = _jobs(gateway, activity, clock)
    if gdhealth is not None:
        delivery.observers.append(_encounter_observer(gateway, gdhealth.group))
    _run_jobs_in_lifespan(gateway)
    return gateway


_ENCOUNTER_TABLES = frozenset({"emr_activity_info", "emr_admission_info", "emr_discharge_info"})


def _encounter_observer(gateway: Gateway, hooks: SharingGroup) -> Callable[[str, Any], None]:
    """Registrations, admissions and discharges accepted by intake (pushed or polled) reach the
    consent service of the institution they carry, so the viewer offers authorization for the
    encounter at once."""
    from hisbridge.dictionary import load_dictionary
    from hisbridge.dictionary.wire import from_wire
    from hisbridge.sharing.consent.encounters import EVENT_FIELDS

    def observe(table: str, records: Any) -> None:
        loop = gateway.loop
        if table not in _ENCOUNTER_TABLES or loop is None or loop.is_closed():
            return
        spec = load_dictionary().table(table)
        rows = [{k: v for k, v in from_wire(spec, r).record.items() if k in EVENT_FIELDS}
                for r in records if isinstance(r, dict)]
        coroutine = hooks.observe(table, rows)
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.create_task(coroutine)
        else:
            asyncio.run_coroutine_threadsafe(coroutine, loop)

    return observe


def _run_jobs_in_lifespan(gateway: Gateway) -> None:
    inner = gateway.app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            gateway.loop = asyncio.get_running_loop()
            tasks = [asyncio.create_task(job()) for job in gateway.jobs]
            try:
                yield state
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with suppress(asyncio.CancelledError, Exception):
                        await task
                if gateway.scheduler is not None:
                    gateway.scheduler.poller.close()
                for part in (gateway.gdhealth, gateway.messages):
                    if part is not None:
                        await part.aclose()

    gateway.app.router.lifespan_context = lifespan


async def serve(config: Path, *, host: str | None = None, port: int | None = None) -> None:
    """``hisbridge run``: the assembled gateway under uvicorn until SIGTERM/SIGINT; refuses to
    start while a secret is missing, too short or a published default (docs/security.md)."""
    import uvicorn

    from hisbridge.settings import load_settings
    from hisbridge.settings.secrets import require_secrets

    settings = load_settings(config)
    require_secrets(settings)
    logging.getLogger("hisbridge.activity").setLevel(logging.INFO)  # summaries show by default
    gateway = assemble(settings, config=config)
    web = settings.web
    tls = {"ssl_certfile": str(web.tls_cert), "ssl_keyfile": str(web.tls_key)} \
        if web.tls_cert and web.tls_key else {}
    # X-Forwarded-For/-Proto are believed only from a declared proxy (web.behind_tls_proxy, at
    # uvicorn's forwarded_allow_ips): otherwise a client could pick its own address and dodge the
    # per-address sign-in throttle (docs/security.md).
    server = uvicorn.Config(gateway.app, host=host or web.host, port=port or web.port,
                            log_level="info", access_log=False, lifespan="on",
                            proxy_headers=web.behind_tls_proxy,
                            timeout_graceful_shutdown=30, **tls)  # type: ignore[arg-type]
    try:
        await uvicorn.Server(server).serve()
    finally:
        gateway.engine.dispose()
