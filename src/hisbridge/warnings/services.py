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
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine

from hisbridge import _ids
from hisbridge._clock import Clock, system_clock
from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.connectors.frontend.interaction_config import InteractionSettings
from hisbridge.connectors.frontend.keys import SecretKeyManager
from hisbridge.connectors.frontend.sso import (
    DeliveredLookup,
    OutboxDeliveredLookup,
    SsoLauncher,
    SsoOutcome,
)
from hisbridge.connectors.frontend.warnings import MessageSource
from hisbridge.errors import ConfigError
from hisbridge.institutions import Institution
from hisbridge.warnings.hub import MessageHub
from hisbridge.warnings.institution import InstitutionMessages, Wiring, build_institution_messages
from hisbridge.warnings.key_cache import StoreKeyCache, sealer
from hisbridge.warnings.lease import PollerLease
from hisbridge.warnings.poller import MessagePoller
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
    """The sub-settings the message concern reads; ``institutions``: a hospital group's
    (``Settings.institution_list()`` when the ``institutions`` setting lists them), empty for a
    single hospital, which is the one institution ``frontend`` describes."""

    interaction: InteractionSettings
    frontend: FrontendSettings
    web: WebKeys
    institutions: tuple[Institution, ...] = ()

    def served(self) -> tuple[FrontendSettings, ...]:
        """The front-end settings of each institution with message parts: the group's enabled
        ones, or the single hospital's."""
        if not self.institutions:
            return (self.frontend,)
        return tuple(i.frontend for i in self.institutions if i.enabled)

    def frontend_of(self, org_code: str | None) -> FrontendSettings | None:
        """The front-end settings of the served institution ``org_code`` (optional when one)."""
        served = self.served()
        if not org_code:
            return served[0] if len(served) == 1 else None
        return next((f for f in served if f.org_code == org_code), None)


@dataclass
class MessageServices:
    """The message parts of one process: each institution's (store view, hub, poller, keys,
    lease, SSO; ``desks``) and the shared HTTP client and webhook sender.

    ``store``, ``hub``, ``poller``, ``keys``, ``lease``, ``sso`` and ``key_cache`` are the first
    institution's: a single hospital's, as before.
    """

    settings: MessageSettings
    desks: dict[str, InstitutionMessages]
    http: httpx.AsyncClient
    webhook: WebhookSender | None = None
    clock: Clock = system_clock
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def interaction(self) -> InteractionSettings:
        return self.settings.interaction

    @property
    def main(self) -> InstitutionMessages:
        """The first institution's parts (the single hospital's)."""
        return next(iter(self.desks.values()))

    def desk(self, org_code: str | None) -> InstitutionMessages | None:
        """The parts of the institution ``org_code``; without one, the only institution's."""
        front = self.settings.frontend_of(org_code)
        return self.desks.get(front.org_code) if front is not None else None

    @property
    def store(self) -> MessageStore:
        return self.main.store

    @property
    def hub(self) -> MessageHub:
        return self.main.hub

    @property
    def poller(self) -> MessagePoller:
        return self.main.poller

    @property
    def keys(self) -> SecretKeyManager:
        return self.main.keys

    @property
    def lease(self) -> PollerLease:
        return self.main.lease

    @property
    def sso(self) -> SsoLauncher:
        return self.main.sso

    @property
    def key_cache(self) -> StoreKeyCache:
        return self.main.key_cache

    def status(self) -> dict[str, Any]:
        """The first institution's poller health and notices (``InstitutionMessages.status``)."""
        return self.main.status()

    async def run(self, stop: asyncio.Event) -> None:
        """Run each institution's poller (and the webhook sender, if configured) until ``stop``
        is set; each poller backs off on its own, so one front-end down delays no other."""
        jobs = []
        if self.interaction.poller.enabled:
            jobs += [desk.poller.run(stop) for desk in self.desks.values() if desk.polls]
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
    sources: Mapping[str, MessageSource] | None = None,
    delivered: DeliveredLookup | None = None,
) -> MessageServices:
    """Everything of the message concern, from settings; the keyword arguments are test seams
    (``source`` for every institution, ``sources`` by organisation code)."""
    interaction = settings.interaction
    _one_poller_per_licence(settings.served())
    http = httpx.AsyncClient(transport=transport, trust_env=False)
    wiring = Wiring(engine, http, clock, node_name(),
                    sealer(settings.web.secret_key.get_secret_value()),
                    delivered or OutboxDeliveredLookup(engine), transport,
                    webhook_enabled=bool(interaction.webhook.url))
    desks = {}
    for front in settings.served():
        own = wiring if delivered is not None else \
            replace(wiring, delivered=_delivered_lookup(settings, engine, front.org_code))
        desk = build_institution_messages(
            front, interaction, settings.frontend, own, grouped=bool(settings.institutions),
            source=(sources or {}).get(front.org_code, source))
        desk.hub.status = desk.status
        desks[front.org_code] = desk
    webhook = (WebhookSender(engine, http, interaction.webhook, clock,
                             worker=f"webhook@{node_name()}"[:100])
               if interaction.webhook.url else None)
    return MessageServices(settings=settings, desks=desks, http=http, webhook=webhook, clock=clock)


def _delivered_lookup(settings: MessageSettings, engine: Engine,
                      org_code: str) -> OutboxDeliveredLookup:
    """Was a doctor's row delivered, asked of the store: in a group of several institutions
    under the keys the intake stores that institution's records with (docs/routing.md)."""
    grouped = len(settings.institutions) > 1
    return OutboxDeliveredLookup(engine, institution=org_code if grouped else None)


def _one_poller_per_licence(served: Sequence[FrontendSettings]) -> None:
    """Some institution to serve, and no licence polled twice (two institutions polling one
    licence would each consume the other's messages)."""
    if not served:
        raise ConfigError("institutions: 没有启用的机构 no enabled institution to read warnings for")
    seen: dict[str, str] = {}
    for front in served:
        licence = front.license.get_secret_value() if front.license else None
        if licence is not None and licence in seen:
            raise ConfigError(
                f"institutions ({seen[licence]}, {front.org_code}): 两个机构使用同一个前置软件授权码，"
                "预警消息只能由一个机构读取 two institutions share one front-end licence; "
                "each needs its own (frontend.license)")
        if licence is not None:
            seen[licence] = front.org_code


async def launch_sso(settings: MessageSettings, engine: Engine, user_id: str, *,
                     client_base_url: str | None = None, delivered: DeliveredLookup | None = None,
                     msg_id: str | None = None, dept_code: str | None = None,
                     org_code: str | None = None) -> SsoOutcome:
    """One SSO from a C/S workstation or a shell: check delivery, ask the client for a session
    with the licence of the institution ``org_code`` (optional when there is one); for the
    warning ``msg_id`` (the doctor's, or ``dept_code``'s, of that institution) at its patient's
    visit when ``interaction.client.deep_link_template`` is set. ``engine`` is the gateway's
    store."""
    front = settings.frontend_of(org_code)
    if front is None:
        return SsoOutcome.fail("unknown_institution", org_code or "")
    licence = front.license.get_secret_value() if front.license else None
    context = None
    if msg_id:
        store = MessageStore(engine, system_clock, institution=front.org_code,
                             scoped=bool(settings.institutions))
        context = store.context_of(msg_id, user_id=user_id, dept_code=dept_code,
                                   card_field=settings.interaction.server.fields.card_id)
        if context is None:
            return SsoOutcome.fail("no_such_message", msg_id)
    launcher = SsoLauncher(settings.interaction.client, license_code=licence,
                           delivered=delivered or _delivered_lookup(settings, engine,
                                                                    front.org_code))
    return await launcher.launch(user_id, client_base_url=client_base_url, context=context)
