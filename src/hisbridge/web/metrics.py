"""``/metrics`` in the Prometheus text format.

Two sources: the delivery service's own registry (delivered and dead counters, retries, the
acceptance-to-success latency histogram, target reachability) and gauges read from the store at
scrape time (entries per table x state, oldest waiting entry's age, quarantined records), so the
figures are right even when several processes share the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from hisbridge.delivery.metrics import DeliveryMetrics
from hisbridge.store.queries import outbox_status
from hisbridge.web.services import services_of

__all__ = ["StoreCollector", "mount"]


class StoreCollector(Collector):
    """Gauges computed from the outbox on each scrape."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        state = self.app.state
        status = outbox_status(state.engine, state.clock.now())
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
        yield from (entries, pending, oldest, parked)


def _delivery_registry(app: FastAPI) -> CollectorRegistry:
    delivery = services_of(app).delivery
    if delivery is not None:
        return delivery.metrics.registry
    if getattr(app.state, "delivery_metrics", None) is None:
        app.state.delivery_metrics = DeliveryMetrics()
    return app.state.delivery_metrics.registry  # type: ignore[no-any-return]


def mount(app: FastAPI) -> None:
    store_registry = CollectorRegistry()
    store_registry.register(StoreCollector(app))

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this process and the shared store."""
        def render() -> bytes:
            own = generate_latest(_delivery_registry(request.app))
            return own + generate_latest(store_registry)

        return Response(await run_in_threadpool(render), media_type=CONTENT_TYPE_LATEST)
