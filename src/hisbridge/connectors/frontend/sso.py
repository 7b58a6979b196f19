"""Single sign-on into the front-end client on the doctor's PC (单点登录).

The client runs on each doctor's PC with a local HTTP listener. SSO is two calls to it: get a
secret key with the institution's licence, then ask for a session for ``userId`` (a
``base_user.id``). The client only knows users the front-end received in ``base_user``, so the
gateway first checks through a ``DeliveredLookup`` that the doctor's row was delivered.

``SsoLauncher`` does it from the gateway or a C/S workstation (``hisbridge sso launch``,
``POST /api/v1/sso/launch``); ``/ws/sso.js`` does the same in the doctor's browser.
Paths and parameter names come from ``interaction.client``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from sqlalchemy import Engine, text

from hisbridge.connectors.frontend.interaction_config import ClientApiSettings, placeholders
from hisbridge.errors import TargetUnavailable
from hisbridge.store.institution_keys import qualified

__all__ = [
    "SSO_PROBLEMS",
    "DeliveredLookup",
    "HttpDeliveredLookup",
    "OutboxDeliveredLookup",
    "SsoLauncher",
    "SsoOutcome",
    "deep_link",
    "with_host",
]

_AS_IS = frozenset({"session_url", "client_base_url"})
_REQUIRED = frozenset({"patient_id", "visit_id"})

# Problem codes shared with /ws/sso.js, and what the doctor reads.
SSO_PROBLEMS: dict[str, str] = {
    "user_not_delivered": (
        "该医生的用户信息尚未上报到前置软件（base_user 未同步），暂时无法单点登录，"
        "请稍后再试或联系信息科。"
    ),
    "client_not_running": "未检测到本机的前置软件客户端，请确认客户端已启动后重试。",
    "licence_refused": "前置软件客户端拒绝了机构授权码，请联系信息科核对授权码。",
    "sso_refused": "前置软件客户端拒绝登录",
    "lookup_unavailable": "无法确认该医生的用户信息是否已上报（网关存储不可用），请稍后再试。",
    "not_configured": "网关未配置机构授权码（frontend.license），请联系信息科。",
    "no_such_message": "没有这条预警，或它不是发给该医生（科室）的 no such warning for this doctor",
    "unknown_institution": ("链接未指明本网关服务的机构（orgCode），请从工作站重新打开 "
                            "the link names no institution this gateway serves (orgCode)"),
}


class _RedactQuerySecrets(logging.Filter):
    """httpx logs every request URL at INFO; the SSO calls carry the licence and key in it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.names and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self._redact(a) for a in args)
        return True

    def _redact(self, value: object) -> object:
        text = str(value)
        if "?" not in text:
            return value
        pattern = "|".join(re.escape(n) for n in sorted(self.names))
        return re.sub(rf"(?<=[?&])({pattern})=[^&\s]*", r"\1=***", text)


_REDACT = _RedactQuerySecrets()
logging.getLogger("httpx").addFilter(_REDACT)


class DeliveredLookup(Protocol):
    """Was the record ``(table, record_id)`` delivered to the front-end?"""

    def is_delivered(self, table: str, record_id: str) -> bool: ...


class OutboxDeliveredLookup:
    """Asks the delivery store: the newest delivered outbox entry of the record is an upsert.
    ``institution``: a hospital group's (its records are stored under keys qualified by its
    organisation code, ``hisbridge.store.institution_keys``)."""

    _SQL = text(
        "SELECT op FROM outbox WHERE table_name = :table AND record_id = :record_id"
        " AND state = 'delivered' ORDER BY version DESC LIMIT 1")

    def __init__(self, engine: Engine, institution: str | None = None) -> None:
        self._engine = engine
        self._institution = institution

    def is_delivered(self, table: str, record_id: str) -> bool:
        if self._institution is not None:
            record_id = qualified(self._institution, record_id)
        with self._engine.connect() as conn:
            op = conn.execute(self._SQL, {"table": table, "record_id": record_id}).scalar()
        return op == "upsert"


class HttpDeliveredLookup:
    """Asks the simulator's inspection API ``GET /sim/tables/{table}/{id}`` (200 = there)."""

    def __init__(self, base_url: str, *, timeout_s: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s

    def is_delivered(self, table: str, record_id: str) -> bool:
        url = f"{self._base}/sim/tables/{table}/{record_id}"
        try:
            response = httpx.get(url, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise TargetUnavailable(f"cannot ask {url}: {type(exc).__name__}") from exc
        return response.status_code == 200


@dataclass(frozen=True, slots=True)
class SsoOutcome:
    """``ok`` with the session ``url``, or a ``problem`` code and the doctor-facing message."""

    ok: bool
    url: str | None = None
    problem: str | None = None
    message: str = ""

    @classmethod
    def fail(cls, problem: str, detail: str = "") -> SsoOutcome:
        message = SSO_PROBLEMS[problem] + (f"：{detail}" if detail else "")
        return cls(ok=False, problem=problem, message=message)

    def as_json(self) -> dict[str, Any]:
        return {"result": self.ok, "url": self.url, "problem": self.problem, "desc": self.message}


def with_host(base_url: str, host: str) -> str:
    """``base_url`` with its host replaced (the client listens on the caller's own PC)."""
    parts = urlsplit(base_url)
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{host}{port}", parts.path, "", ""))


def deep_link(template: str, context: Mapping[str, str | None]) -> str | None:
    """``template`` filled from ``context`` (values URL-encoded, the two base URLs as they are).

    None when the template is empty or names a patient or visit the warning lacks (the client
    then opens on its start page); another empty value (no report card yet) is left empty.
    A name missing from ``context`` altogether stays ``{name}`` (the browser fills
    ``{session_url}``).
    """
    names = placeholders(template)
    if not template or any(n in context and not context[n] for n in names & _REQUIRED):
        return None
    values = {n: (f"{{{n}}}" if n not in context else
                  str(context[n] or "") if n in _AS_IS else quote(str(context[n] or ""), safe=""))
              for n in names}
    return template.format(**values)


class SsoLauncher:
    """Check the doctor was delivered, then get a key and a session from the doctor-PC client."""

    def __init__(self, settings: ClientApiSettings, *, license_code: str | None,
                 delivered: DeliveredLookup,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        _REDACT.names |= {settings.license_param, settings.secret_key_param}
        self._settings = settings
        self._license = license_code
        self._delivered = delivered

    def check_user(self, user_id: str) -> SsoOutcome | None:
        """A failed outcome if the doctor's base_user row is not (known to be) delivered."""
        if not self._settings.check_delivered:
            return None
        try:
            if self._delivered.is_delivered("base_user", user_id):
                return None
        except Exception:  # any store/HTTP failure: say so, never a stack trace
            return SsoOutcome.fail("lookup_unavailable")
        return SsoOutcome.fail("user_not_delivered")

    async def launch(self, user_id: str, *, client_base_url: str | None = None,
                     context: Mapping[str, str | None] | None = None) -> SsoOutcome:
        """The session URL for ``user_id`` from the client at ``client_base_url``; with a
        warning's ``context`` and a deep-link template, the URL of that patient's visit."""
        refused = self.check_user(user_id)
        if refused is not None:
            return refused
        if not self._license:
            return SsoOutcome.fail("not_configured")
        base = (client_base_url or self._settings.base_url).rstrip("/")
        # A client per sign-on: SSO is rare, and a pooled connection would outlive its loop.
        async with httpx.AsyncClient(transport=self._transport, trust_env=False) as http:
            outcome = await self._sign_on(http, base, user_id)
        if not outcome.ok or outcome.url is None or context is None:
            return outcome
        link = deep_link(self._settings.deep_link_template,
                         {**context, "session_url": outcome.url, "client_base_url": base,
                          "user_id": user_id})
        return SsoOutcome(ok=True, url=link or outcome.url)

    async def _sign_on(self, http: httpx.AsyncClient, base: str, user_id: str) -> SsoOutcome:
        s = self._settings
        key_reply = await self._get(http, base + s.secret_key_path,
                                    {s.license_param: self._license or ""})
        if key_reply is None:
            return SsoOutcome.fail("client_not_running")
        key = key_reply.get(s.secret_key_field)
        if key_reply.get("result") is not True or not key:
            return SsoOutcome.fail("licence_refused", str(key_reply.get("desc") or ""))
        reply = await self._get(http, base + s.sso_path,
                                {s.secret_key_param: key, s.user_param: user_id})
        if reply is None:
            return SsoOutcome.fail("client_not_running")
        if reply.get("result") is not True:
            return SsoOutcome.fail("sso_refused", str(reply.get("desc") or ""))
        return SsoOutcome(ok=True, url=str(reply.get(s.url_field) or "") or None)

    async def _get(self, http: httpx.AsyncClient, url: str,
                   params: dict[str, str]) -> dict[str, Any] | None:
        try:
            response = await http.get(url, params=params, timeout=self._settings.timeout_s)
            reply = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        return reply if isinstance(reply, dict) else None
