"""The front-end data-API client: one JSON record per request, over aiohttp with keep-alive.

aiohttp was chosen by measurement (see docs/delivery.md and ``bench/delivery.py``): against one
small Starlette endpoint it sustained several times httpx's request rate at concurrency 8-16.
The session is opened lazily, so the client can be built outside an event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hisbridge._clock import Clock, system_clock
from hisbridge.connectors.frontend.config import DataApiConfig
from hisbridge.connectors.frontend.errors import network_error
from hisbridge.connectors.frontend.mapping import (
    outcome_from_reply,
    parse_retry_after,
    request_body,
)
from hisbridge.delivery.outcome import DeliveryItem, Outcome
from hisbridge.dictionary import load_dictionary
from hisbridge.errors import OperationRefused

if TYPE_CHECKING:
    import aiohttp

__all__ = ["FrontendApiClient"]

_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}


class FrontendApiClient:
    """``deliver(item) -> Outcome`` against ``POST``/``DELETE /hclient/emr/receive/{table}``."""

    def __init__(self, config: DataApiConfig, clock: Clock = system_clock) -> None:
        self.config = config
        self.clock = clock
        self.name = f"frontend-api {config.base_url}"
        self._dictionary = load_dictionary()
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.config.concurrency,
                                             keepalive_timeout=30.0)
            timeout = aiohttp.ClientTimeout(total=self.config.timeout_s,
                                            sock_connect=self.config.connect_timeout_s)
            self._session = aiohttp.ClientSession(connector=connector, timeout=timeout,
                                                  headers=_HEADERS)
        return self._session

    async def deliver(self, item: DeliveryItem) -> Outcome:
        """Send one record; every failure comes back as an outcome, never as an exception."""
        import aiohttp

        spec = self._dictionary.table(item.table)
        if item.op == "delete" and not spec.can_delete:
            refused = OperationRefused(f"{spec.name}（{spec.title_zh}）不允许删除 delete refused")
            return Outcome.from_error(refused)
        url = self.config.url(spec.name)
        method = "DELETE" if item.op == "delete" else "POST"
        body = request_body(spec, item, self.config.key_style)
        try:
            async with self._open().request(method, url, data=body) as response:
                payload = await response.read()
                retry_after = parse_retry_after(response.headers.get("Retry-After"),
                                                self.clock.now())
                return outcome_from_reply(response.status, payload, retry_after)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return Outcome.from_error(network_error(exc, url), reachable=False)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None
