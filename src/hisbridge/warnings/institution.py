"""One institution's share of the message concern: its key, poller, lease, store view and SSO.

A single hospital has one, named as before (lease and poll state ``frontend-messages``, key
``message``), so an upgraded gateway carries on where it stopped. In a hospital group (医共体)
every enabled institution has its own, named after its organisation code
(``messages:<org_code>``, ``message:<org_code>``): the poller lease is per institution, so
across processes each institution's licence is polled by exactly one node at a time, and one
institution's front-end being down only backs off its own poller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine

from hisbridge._clock import Clock
from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.connectors.frontend.interaction_config import InteractionSettings
from hisbridge.connectors.frontend.keys import HttpKeyIssuer, SecretKeyManager
from hisbridge.connectors.frontend.sso import DeliveredLookup, SsoLauncher
from hisbridge.connectors.frontend.warnings import HttpMessageSource, MessageSource
from hisbridge.warnings.hub import MessageHub
from hisbridge.warnings.key_cache import StoreKeyCache
from hisbridge.warnings.lease import PollerLease
from hisbridge.warnings.notices import KeyLife, poll_status
from hisbridge.warnings.poller import BackoffPolicy, MessagePoller
from hisbridge.warnings.store import MessageStore

__all__ = ["InstitutionMessages", "Wiring", "build_institution_messages", "message_url", "names"]


@dataclass(frozen=True, slots=True)
class Wiring:
    """What every institution's parts share: the store, HTTP client, clock and test seams."""

    engine: Engine
    http: httpx.AsyncClient
    clock: Clock
    node: str  # this process's name in leases
    sealer: Fernet  # seals the cached keys (``key_cache.sealer``)
    delivered: DeliveredLookup
    transport: httpx.AsyncBaseTransport | None = None
    webhook_enabled: bool = False


@dataclass
class InstitutionMessages:
    """The message parts of one institution (``org_code``); ``polls``: has a poller to run."""

    org_code: str
    name: str
    frontend: FrontendSettings  # the institution's own (licence, org code, base URL)
    interaction: InteractionSettings
    store: MessageStore
    hub: MessageHub
    poller: MessagePoller
    keys: SecretKeyManager
    key_cache: StoreKeyCache
    lease: PollerLease
    sso: SsoLauncher
    clock: Clock
    polls: bool = True

    @property
    def licence(self) -> SecretStr | None:
        return self.frontend.license

    def status(self) -> dict[str, Any]:
        """The poller's health and the ranked notices its readers see (reads the store)."""
        state = self.store.poll_state()
        expires = self.key_cache.expires_at()
        key = (KeyLife(expires, self.interaction.server.refresh_margin_s)
               if expires is not None else None)
        return poll_status(last_ok_at=state.last_ok_at, failures=state.failures,
                           now=self.clock.now(), key=key,
                           stale_after_s=self.interaction.widget.stale_after_s)


def names(org_code: str | None) -> tuple[str, str]:
    """(poll-state and lease name, key-cache purpose): the single hospital's, or per institution."""
    if org_code is None:
        return "frontend-messages", "message"
    return f"messages:{org_code}", f"message:{org_code}"


def message_url(interaction: InteractionSettings, top: FrontendSettings,
                own: FrontendSettings) -> str:
    """Where the institution's messages are read: ``interaction.server.base_url`` (or the
    front-end URL) unless the institution names a front-end URL of its own."""
    if own.base_url != top.base_url:
        return own.base_url
    return interaction.server.base_url or own.base_url


def build_institution_messages(front: FrontendSettings, interaction: InteractionSettings,
                               top: FrontendSettings, wiring: Wiring, *, grouped: bool,
                               source: MessageSource | None = None) -> InstitutionMessages:
    """The parts of the institution ``front`` describes (its ``Institution.frontend``; ``top``:
    the top-level section); ``grouped``: one of a hospital group's, named per org code."""
    w, p = wiring, interaction.poller
    name, purpose = names(front.org_code if grouped else None)
    licence = front.license.get_secret_value() if front.license else None
    base_url = message_url(interaction, top, front)
    store = MessageStore(w.engine, w.clock, name=name, institution=front.org_code or None,
                         scoped=grouped)
    store.webhook_enabled = w.webhook_enabled
    issuer = HttpKeyIssuer(w.http, interaction.server, base_url=base_url, license_code=licence,
                           clock=w.clock)
    cache = StoreKeyCache(w.engine, w.sealer, purpose=purpose)
    keys = SecretKeyManager(issuer, cache, w.clock,
                            refresh_margin_s=interaction.server.refresh_margin_s)
    lease = PollerLease(w.engine, w.clock, name=name, holder=w.node, lease_s=p.lease_s)
    poller = MessagePoller(
        source or HttpMessageSource(w.http, interaction.server, base_url=base_url,
                                    org_code=front.org_code),
        keys, store, lease, w.clock, page_limit=p.page_limit,
        policy=BackoffPolicy(p.interval_s, p.backoff_base_s, p.backoff_cap_s))
    sso = SsoLauncher(interaction.client, license_code=licence, transport=w.transport,
                      delivered=w.delivered)
    return InstitutionMessages(
        front.org_code, front.org_name, front, interaction, store,
        MessageHub(store, check_s=p.stream_check_s), poller, keys, cache, lease, sso, w.clock,
        polls=not grouped or licence is not None)
