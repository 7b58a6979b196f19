"""Prometheus metrics of the message poller (on the default registry, served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "LAST_OK_POLL",
    "MESSAGES_POLLED",
    "MESSAGE_LAG",
    "OUT_OF_ORDER",
    "POLL_FAILURES",
    "WEBHOOK_RESULTS",
]

LAST_OK_POLL = Gauge(
    "hisbridge_messages_last_ok_poll_timestamp_seconds",
    "Unix time of the last successful message poll (lag = now - this)",
)
MESSAGE_LAG = Histogram(
    "hisbridge_messages_lag_seconds",
    "Seconds from a message's createTime at the front-end to its storing by the poller",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)
MESSAGES_POLLED = Counter("hisbridge_messages_polled_total", "Messages stored by the poller")
POLL_FAILURES = Counter(
    "hisbridge_messages_poll_failures_total", "Failed message polls", ["kind"]
)
OUT_OF_ORDER = Counter(
    "hisbridge_messages_out_of_order_total", "Messages refused because their seq went backwards"
)
WEBHOOK_RESULTS = Counter(
    "hisbridge_messages_webhook_total", "HIS webhook attempts by outcome", ["outcome"]
)
