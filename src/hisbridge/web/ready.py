"""Readiness of the running gateway: can it do its work right now? The checks behind ``/readyz``
and the ``hisbridge_ready*`` gauges of ``/metrics`` (``hisbridge check`` is the report before going live).

Each check is ``ok``, ``fail`` or ``off`` (not part of this process):

- ``store``: the gateway's own database answers ``SELECT 1``.
- ``his``: the HIS database answers ``SELECT 1`` (``off`` when this process polls no HIS).
- ``frontend``: the national front-end answers HTTP below 500 at ``frontend.base_url`` or, in
  ``db`` mode, its intermediate database answers ``SELECT 1``.
- ``province``: the provincial platform answers HTTP below 500 at ``gdhealth.base_url``
  (``off`` unless this process runs the sharing services).
- ``backlog``: the oldest entry waiting to be sent is younger than
  ``console.alerts.pending_max_minutes`` (the bound of the console's ``pending_old`` alert).

A report is kept ``CACHE_S`` seconds and computed once for callers arriving together, so a
monitoring system probing every few seconds (and every scrape) reaches the HIS at most that
often. A reason names the kind of failure only (``ConnectError``, ``HTTP 503``, an age), never
an address, a URL or an error text, and never patient data.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from sqlalchemy import Engine

from hisbridge.sources.his_databases import PING
from hisbridge.store.gauges import waiting_counts
from hisbridge.web.services import services_of

__all__ = ["CACHE_S", "CHECKS", "TIMEOUT_S", "Check", "ReadyChecks", "ReadyReport", "ready_checks"]

CACHE_S = 10.0
TIMEOUT_S = 3.0
CHECKS = ("store", "his", "frontend", "province", "backlog")
State = Literal["ok", "fail", "off"]


@dataclass(frozen=True, slots=True)
class Check:
    """One check's state and, when not ok, why (a kind or a figure: safe to show a monitor)."""

    state: State
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReadyReport:
    checks: dict[str, Check]
    at: float = field(default_factory=time.monotonic)

    @property
    def ready(self) -> bool:
        return all(c.state != "fail" for c in self.checks.values())

    def as_json(self, *, detail: bool) -> dict[str, Any]:
        """Check names and states; with ``detail`` also the reasons of those not ok."""
        body: dict[str, Any] = {"status": "ready" if self.ready else "not_ready",
                                "checks": {name: c.state for name, c in self.checks.items()}}
        if detail:
            body["reasons"] = {name: c.reason for name, c in self.checks.items() if c.reason}
        return body


Probe = Callable[[], Awaitable[Check]]


def _ping(engine: Engine) -> Check:
    with engine.connect() as conn:
        conn.execute(PING)  # written with FROM DUAL where a database needs it (Oracle, DM)
    return Check("ok")


async def _answers(url: str) -> Check:
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        reply = await http.get(url)
    return Check("ok") if reply.status_code < 500 else Check("fail", f"HTTP {reply.status_code}")


def _backlog(engine: Engine, now: datetime, bound_s: float) -> Check:
    _, ages = waiting_counts(engine, now)  # the waiting entries only, through their index
    oldest = max(ages.values(), default=0.0)
    if oldest <= bound_s:
        return Check("ok")
    return Check("fail", f"oldest waiting {round(oldest)} s > {round(bound_s)} s")


async def _run(probe: Probe | None) -> Check:
    if probe is None:
        return Check("off")
    try:
        return await asyncio.wait_for(probe(), TIMEOUT_S)
    except TimeoutError:
        return Check("fail", f"no answer within {TIMEOUT_S:g} s")
    except Exception as exc:  # unreachable, refused, driver error: the check failed, that is all
        return Check("fail", type(exc).__name__)


def _in_thread(fn: Callable[..., Check], *args: Any) -> Probe:
    return lambda: asyncio.to_thread(fn, *args)


class ReadyChecks:
    """The checks of one app, built from what ``app.state`` holds (see the module docstring)."""

    def __init__(self, probes: dict[str, Probe | None]) -> None:
        self.probes = probes
        self.last: ReadyReport | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def of_app(cls, app: Any) -> ReadyChecks:
        state, services = app.state, services_of(app)
        settings, engine = state.settings, state.engine
        bound_s = settings.console.alerts.pending_max_minutes * 60
        poller = services.poller
        sink = getattr(getattr(services.delivery, "target", None), "engine", None)
        frontend: Probe = (_in_thread(_ping, sink) if isinstance(sink, Engine)
                           else lambda: _answers(settings.frontend.base_url))
        province = services.consents is not None
        return cls({
            "store": _in_thread(_ping, engine),
            "his": _in_thread(_ping, poller.source) if poller is not None else None,
            "frontend": frontend,
            "province": (lambda: _answers(settings.gdhealth.base_url)) if province else None,
            "backlog": lambda: asyncio.to_thread(_backlog, engine, state.clock.now(), bound_s),
        })

    async def report(self) -> ReadyReport:
        """The last report if younger than ``CACHE_S``, else a new one (all checks at once)."""
        async with self._lock:
            if self.last is None or time.monotonic() - self.last.at >= CACHE_S:
                names = list(self.probes)
                found = await asyncio.gather(*(_run(self.probes[n]) for n in names))
                self.last = ReadyReport(dict(zip(names, found, strict=True)))
            return self.last


def ready_checks(app: Any) -> ReadyChecks:
    """The app's ``ReadyChecks``, built on first use (after the gateway has put its parts on
    ``app.state``)."""
    found = getattr(app.state, "ready_checks", None)
    if not isinstance(found, ReadyChecks):
        found = app.state.ready_checks = ReadyChecks.of_app(app)
    return found
