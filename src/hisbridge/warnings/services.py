"""Wiring of the message concern: one call builds what ``hisbridge run`` and the demo need.

It reads only its own sub-settings (``MessageSettings``), taken from the settings at the edge
(``hisbridge.runtime.gateway.message_settings``):

    services = build_message_services(message_settings(settings), engine, clock)
    app = create_app(settings, engine, clock=clock, services=AppServices(messages=services))
    async with services.running():                                      # poller (+ webhook)
        await uvicorn.Server(uvicorn.Config(app)).serve()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine

from hisbridge import _ids
from hisbridge._clock import Clock, system_clock
from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.connectors.frontend.interaction_config import InteractionSettings
from hisbridge.connectors.frontend.keys import HttpKeyIssuer, SecretKeyManager
from hisbridge.connectors.frontend.sso import (
    DeliveredLookup,
    OutboxDeliveredLookup,
    SsoLauncher,
    SsoOutcome,
)
from hisbridge.connectors.frontend.warnings import HttpMessageSource, MessageSource
from hisbridge.warnings.hub import MessageHub
from hisbridge.warnings.key_cache import StoreKeyCache, sealer
from hisbridge.warnings.lease import PollerLease
from hisbridge.warnings.notices import KeyLife, poll_status
from hisbridge.warnings.poller import BackoffPolicy, MessagePoller
from hisbridge.warnings.store import MessageStore
from hisbridge.warnings.webhook import WebhookSender

__all__ = ["MessageServices", "MessageSettings", "WebKeys", "build_message_services", "launch_sso",
           "node_name"]


def node_name() -> str:
    """This process's name in leases: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{_ids.new_id()[-6:]}"


class WebKeys(Protocol):
    """What the message concern reads of the web settings (``settings.WebSettings``)."""

    @property
    def secret_key(self) -> SecretStr: ...

    @property
    def workstation_origins(self) -> list[str]: ...

    def verification_keys(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class MessageSettings:
    """The sub-settings the message concern reads."""

    interaction: InteractionSettings
    frontend: FrontendSettings
    web: WebKeys


@dataclass
class MessageServices:
    """The message store, hub, poller, webhook sender and SSO launcher of one process."""

    settings: MessageSettings
    store: MessageStore
    hub: MessageHub
    poller: MessagePoller
    keys: SecretKeyManager
    lease: PollerLease
    sso: SsoLauncher
    http: httpx.AsyncClient
    webhook: WebhookSender | None = None
    key_cache: StoreKeyCache | None = None
    clock: Clock = system_clock
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def interaction(self) -> InteractionSettings:
        return self.settings.interaction

    def status(self) -> dict[str, Any]:
        """The poller's health and the ranked notices every reader sees (reads the store)."""
        state = self.store.poll_state()
        expires = self.key_cache.expires_at() if self.key_cache is not None else None
        key = (KeyLife(expires, self.interaction.server.refresh_margin_s)
               if expires is not None else None)
        return poll_status(last_ok_at=state.last_ok_at, failures=state.failures,
                           now=self.clock.now(), key=key,
                           stale_after_s=self.interaction.widget.stale_after_s)

    async def run(self, stop: asyncio.Event) -> None:
        """Run the poller (and the webhook sender, if configured) until ``stop`` is set."""
        jobs = []
        if self.interaction.poller.enabled:
            jobs.append(self.poller.run(stop))
        if self.webhook is not None:
            jobs.append(self.webhook.run(stop))
        await asyncio.gather(*jobs)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MessageServices]:
        """Poll (and push the webhook) in the background while the block runs, then close.

        Use it in the event loop that serves the web app, e.g. around ``uvicorn.Server.serve``.
        """
        stop = asyncio.Event()
        task = asyncio.create_task(self.run(stop), name="message-services")
        try:
            yield self
        finally:
            stop.set()
            await task
            await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()


def build_message_services(
    settings: MessageSettings,
    engine: Engine,
    clock: Clock = system_clock,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    source: MessageSource | None = None,
    delivered: DeliveredLookup | None = None,
) -> MessageServices:
    """Everything of the message concern, from settings; the keyword arguments are test seams."""
    interaction = settings.interaction
    http = httpx.AsyncClient(transport=transport, trust_env=False)
    base_url = interaction.server.base_url or settings.frontend.base_url
    licence = settings.frontend.license.get_secret_value() if settings.frontend.license else None
    store = MessageStore(engine, clock)
    store.webhook_enabled = bool(interaction.webhook.url)
    issuer = HttpKeyIssuer(http, interaction.server, base_url=base_url, license_code=licence,
                           clock=clock)
    cache = StoreKeyCache(engine, sealer(settings.web.secret_key.get_secret_value()))
    keys = SecretKeyManager(issuer, cache, clock,
                            refresh_margin_s=interaction.server.refresh_margin_s)
    lease = PollerLease(engine, clock, name=store.name, holder=node_name(),
                        lease_s=interaction.poller.lease_s)
    p = interaction.poller
    poller = MessagePoller(
        source or HttpMessageSource(http, interaction.server, base_url=base_url,
                                    org_code=settings.frontend.org_code),
        keys, store, lease, clock, page_limit=p.page_limit,
        policy=BackoffPolicy(p.interval_s, p.backoff_base_s, p.backoff_cap_s),
    )
    sso = SsoLauncher(interaction.client, license_code=licence, transport=transport,
                      delivered=delivered or OutboxDeliveredLookup(engine))
    webhook = (WebhookSender(engine, http, interaction.webhook, clock,
                             worker=f"webhook@{node_name()}"[:100])
               if interaction.webhook.url else None)
    services = MessageServices(settings=settings, store=store, poller=poller, keys=keys,
                               lease=lease, sso=sso, http=http, webhook=webhook, clock=clock,
                               key_cache=cache, hub=MessageHub(store, check_s=p.stream_check_s))
    services.hub.status = services.status
    return services


async def launch_sso(settings: MessageSettings, engine: Engine, user_id: str, *,
                     client_base_url: str | None = None, delivered: DeliveredLookup | None = None,
                     msg_id: str | None = None, dept_code: str | None = None) -> SsoOutcome:
    """One SSO from a C/S workstation or a shell: check delivery, ask the client for a session;
    for the warning ``msg_id`` (the doctor's, or ``dept_code``'s) at its patient's visit when
    ``interaction.client.deep_link_template`` is set. ``engine`` is the gateway's store."""
    licence = settings.frontend.license.get_secret_value() if settings.frontend.license else None
    context = None
    if msg_id:
        context = MessageStore(engine, system_clock).context_of(
            msg_id, user_id=user_id, dept_code=dept_code,
            card_field=settings.interaction.server.fields.card_id)
        if context is None:
            return SsoOutcome.fail("no_such_message", msg_id)
    launcher = SsoLauncher(settings.interaction.client, license_code=licence,
                           delivered=delivered or OutboxDeliveredLookup(engine))
    return await launcher.launch(user_id, client_base_url=client_base_url, context=context)
