"""``/metrics`` in the Prometheus text format.

Four sources: the delivery service's own registry (delivered and dead counters, retries, the
acceptance-to-success latency histogram, target reachability); the process-wide registry (the
message poller's ``hisbridge_messages_*``, the process's CPU, memory and start time); gauges read
from the store (entries per table x state, oldest waiting entry's age, quarantined records, each
source's last poll, the front-end key's expiry), so the figures are right even when several
processes share the store; and the readiness checks of ``/readyz`` (``hisbridge_ready``,
``hisbridge_ready_check{check}``). A scrape reads only the waiting entries (indexed); finished
entries and quarantine are recounted every ``web.metrics_recount_s`` in the background
(``store.gauges.OutboxGauges``), never by the scrape itself. The alert rules and the dashboard in
``deploy/`` use these names, and a test holds them to what this module exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from hisbridge.delivery.metrics import DeliveryMetrics
from hisbridge.ops.alerts.snapshot import key_expiry, last_polls
from hisbridge.store.gauges import OutboxGauges
from hisbridge.warnings import metrics as _message_metrics  # noqa: F401  (hisbridge_messages_*)
from hisbridge.web.ready import CHECKS, ready_checks
from hisbridge.web.services import services_of

__all__ = ["ReadinessCollector", "StoreCollector", "mount"]


class StoreCollector(Collector):
    """Gauges read from the outbox on each scrape (``OutboxGauges``)."""

    def __init__(self, app: FastAPI, gauges: OutboxGauges) -> None:
        self.app = app
        self.gauges = gauges

    def collect(self) -> Iterator[Any]:
        status = self.gauges.read(self.app.state.clock.now())
        entries = GaugeMetricFamily("hisbridge_outbox_entries",
                                    "Outbox entries per table and state", labels=["table", "state"])
        for table, states in sorted(status.counts.items()):
            for name, count in sorted(states.items()):
                entries.add_metric([table, name], count)
        pending = GaugeMetricFamily("hisbridge_outbox_pending", "Entries not yet delivered or dead",
                                    labels=["table"])
        for table, states in sorted(status.counts.items()):
            waiting = sum(states.get(s, 0) for s in ("pending", "retry_wait", "in_flight"))
            pending.add_metric([table], waiting)
        oldest = GaugeMetricFamily("hisbridge_outbox_oldest_pending_seconds",
                                   "Age of the oldest entry not yet delivered", labels=["table"])
        for table, age in sorted(status.oldest_pending_s.items()):
            oldest.add_metric([table], age)
        parked = GaugeMetricFamily("hisbridge_quarantined", "Records quarantined by validation",
                                   labels=["table"])
        for table, count in sorted(status.quarantined.items()):
            parked.add_metric([table], count)
        yield from (entries, pending, oldest, parked, *self._sources())

    def _sources(self) -> Iterator[Any]:
        polled = GaugeMetricFamily(
            "hisbridge_source_last_poll_timestamp_seconds",
            "Unix time of the last successful HIS poll run, or the message poller's last poll "
            "(0 = never)", labels=["source"])
        expiry = GaugeMetricFamily("hisbridge_frontend_key_expiry_timestamp_seconds",
                                   "Unix time the cached front-end secret key expires")
        with self.app.state.engine.connect() as conn:
            for source, last in sorted(last_polls(conn).items()):
                polled.add_metric([source], last.timestamp() if last is not None else 0.0)
            expires = key_expiry(conn)
        if expires is not None:
            expiry.add_metric([], expires.timestamp())
        yield from (polled, expiry)


class ReadinessCollector(Collector):
    """The last ``/readyz`` report as gauges (the route refreshes it before each scrape)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        ready = GaugeMetricFamily("hisbridge_ready", "1 when no readiness check fails (/readyz 200)")
        checks = GaugeMetricFamily("hisbridge_ready_check",
                                   "1 ok, 0 failing, per readiness check; absent when off",
                                   labels=["check"])
        report = ready_checks(self.app).last
        if report is not None:
            ready.add_metric([], 1.0 if report.ready else 0.0)
            for name in CHECKS:
                check = report.checks.get(name)
                if check is not None and check.state != "off":
                    checks.add_metric([name], 1.0 if check.state == "ok" else 0.0)
        yield from (ready, checks)


def _delivery_registry(app: FastAPI) -> CollectorRegistry:
    delivery = services_of(app).delivery
    if delivery is not None:
        return delivery.metrics.registry
    if getattr(app.state, "delivery_metrics", None) is None:
        app.state.delivery_metrics = DeliveryMetrics()
    return app.state.delivery_metrics.registry  # type: ignore[no-any-return]


def mount(app: FastAPI) -> None:
    """``/metrics``; ``app.state.outbox_gauges.run`` is the recount job the runtime starts."""
    gauges = OutboxGauges(app.state.engine, every_s=app.state.settings.web.metrics_recount_s,
                          clock=app.state.clock)
    app.state.outbox_gauges = gauges
    store_registry = CollectorRegistry()
    store_registry.register(StoreCollector(app, gauges))
    store_registry.register(ReadinessCollector(app))

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this process and the shared store."""
        await ready_checks(request.app).report()

        def render() -> bytes:
            own = generate_latest(_delivery_registry(request.app)) + generate_latest(REGISTRY)
            return own + generate_latest(store_registry)

        return Response(await run_in_threadpool(render), media_type=CONTENT_TYPE_LATEST)
