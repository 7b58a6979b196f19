"""The front-end data-API client: one JSON record per request, over pyreqwest with keep-alive.

pyreqwest (Rust's reqwest and hyper, on a Tokio thread of their own) was chosen by measurement:
for this one request shape it spent ~43 % less gateway CPU per request than a tuned aiohttp
session, on a par with pycurl's multi interface, which would need our own event-loop glue and
a selector loop (docs/benchmarks.md, "HTTP client (issue 19)"; ``bench/http_clients.py``). The
client is built lazily, so the connector can be constructed outside an event loop; proxies
from the environment are ignored, as before.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hisbridge._clock import Clock, system_clock
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.connectors.frontend.errors import network_error
from hisbridge.connectors.frontend.mapping import (
    outcome_from_reply,
    parse_retry_after,
    request_body,
)
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.dictionary import TableSpec, load_dictionary
from hisbridge.errors import OperationRefused

if TYPE_CHECKING:
    from pyreqwest.client import Client

__all__ = ["FrontendApiClient"]

_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
_IDLE_S = 30.0  # an idle keep-alive connection is closed after this long
_SETTLE_S = 0.05  # see ``aclose``


class FrontendApiClient:
    """``deliver(item) -> Outcome`` against ``POST``/``DELETE /hclient/emr/receive/{table}``."""

    def __init__(self, config: DataApiConfig, clock: Clock = system_clock) -> None:
        self.config = config
        self.clock = clock
        self.name = f"frontend-api {config.base_url}"
        self._dictionary = load_dictionary()
        self._client: Client | None = None
        self._routes: dict[str, tuple[TableSpec, str]] = {}  # table -> (spec, URL), looked up once
        self._errors: tuple[type[BaseException], ...] = ()

    def _route(self, table: str) -> tuple[TableSpec, str]:
        spec = self._dictionary.table(table)
        route = self._routes[table] = (spec, self.config.url(spec.name))
        return route

    def _open(self) -> Client:
        if self._client is None:
            from pyreqwest.client import ClientBuilder
            from pyreqwest.exceptions import PyreqwestError

            self._errors = (TimeoutError, PyreqwestError, OSError)
            c = self.config
            self._client = (
                ClientBuilder()
                .max_connections(c.concurrency).pool_max_idle_per_host(c.concurrency)
                .pool_idle_timeout(timedelta(seconds=_IDLE_S))
                .timeout(timedelta(seconds=c.timeout_s))
                .connect_timeout(timedelta(seconds=c.connect_timeout_s))
                .default_headers(_HEADERS).no_proxy().build())
        return self._client

    async def deliver(self, item: DeliveryItem) -> Outcome:
        """Send one record; every failure comes back as an outcome, never as an exception."""
        spec, url = self._routes.get(item.table) or self._route(item.table)
        method = "POST"
        if item.op == "delete":
            if not spec.can_delete:
                refused = OperationRefused(f"{spec.name}（{spec.title_zh}）不允许删除 delete refused")
                return Outcome.from_error(refused)
            method = "DELETE"
        body = request_body(spec, item, self.config.key_style)
        client = self._client or self._open()
        try:
            response = await client.request(method, url).body_bytes(body).build().send()
            payload = bytes(await response.bytes())
        except self._errors as exc:
            return Outcome.from_error(network_error(exc, url), reachable=False)
        return outcome_from_reply(response.status, payload, self._retry_after(response))

    def _retry_after(self, response: Any) -> float | None:
        """A failed reply's ``Retry-After``; a success is not asked (one call into Rust less)."""
        if 200 <= response.status < 300:
            return None
        return parse_retry_after(response.get_header("Retry-After"), self.clock.now())

    async def aclose(self) -> None:
        """Close the connection pool, then let pyreqwest's Tokio thread finish dropping it.

        That thread touches Python objects for a few milliseconds after ``close``; if the
        interpreter is finalizing meanwhile, CPython 3.11/3.12 abort the process (``Fatal Python
        error: PyGILState_Release``). Measured here: about one exit in eight without the pause,
        none in 80 with it.
        """
        if self._client is not None:
            await self._client.close()
            self._client = None
            await asyncio.sleep(_SETTLE_S)
