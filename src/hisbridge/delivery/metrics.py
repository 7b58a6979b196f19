"""Delivery metrics, in a registry of their own (one per service, so tests never collide).

Counters and the latency histogram are updated by the worker as outcomes are recorded; the
store-derived gauges (pending per table, oldest pending age) are computed at scrape time by
``hisbridge.web.metrics`` from the store itself, so they are right across processes.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["DeliveryMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)


class DeliveryMetrics:
    """The counters a delivery worker moves; ``registry`` is what ``/metrics`` renders."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._children: dict[tuple[int, str], Any] = {}
        self.delivered = Counter("hisbridge_delivered", "Records delivered (receiver said yes)",
                                 ["table"], registry=self.registry)
        self.dead = Counter("hisbridge_dead_lettered", "Records dead-lettered with a reason",
                            ["table"], registry=self.registry)
        self.retried = Counter("hisbridge_retries", "Transient failures scheduled for retry",
                               ["table"], registry=self.registry)
        self.parent_late = Counter("hisbridge_parent_wait_exceeded",
                                   "Children handed out after waiting too long for their parent",
                                   ["table"], registry=self.registry)
        self.latency = Histogram("hisbridge_delivery_latency_seconds",
                                 "From acceptance to the receiver's success reply",
                                 buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.reachable = Gauge("hisbridge_target_reachable",
                               "1 when the last send reached the receiver, else 0", ["target"],
                               registry=self.registry)
        self.circuit_open = Gauge("hisbridge_circuit_open",
                                  "1 while sending to the receiver is paused (circuit breaker)",
                                  ["target"], registry=self.registry)

    def child(self, metric: Counter | Gauge, label: str) -> Any:
        """``metric.labels(label)``, looked up once per label (the hot path calls this a lot)."""
        key = (id(metric), label)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(label)
        return found
