"""Settings of the system-interaction APIs: secret keys, message query, SSO, widget, webhook.

No official text of these APIs is public (``spec/frontend/protocol.md`` §4), so every path and
JSON field name is a setting. The defaults follow the provisional contract of hisbridge's own
front-end simulator (``hisbridge simulate frontend`` / ``client``); change them here, not in
code, when the real specification is known. YAML section ``interaction``; environment
``HISBRIDGE_INTERACTION__...``.
"""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

__all__ = [
    "DEEP_LINK_PLACEHOLDERS",
    "ClientApiSettings",
    "InteractionSettings",
    "MessageFieldNames",
    "PollerSettings",
    "ServerApiSettings",
    "WebhookSettings",
    "WidgetSettings",
]

DAY_S = 86_400.0

# What a deep-link template may name: the session URL the client's SSO answered, the client's
# base URL (both inserted as they are), and the warning's context (URL-encoded).
DEEP_LINK_PLACEHOLDERS = ("session_url", "client_base_url", "patient_id", "visit_id",
                          "card_id", "msg_id", "user_id")


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class MessageFieldNames(BaseModel):
    """Wire names of a message's fields (ours on the left, the front-end's on the right)."""

    msg_id: str = "msgId"  # wire name of the message id
    seq: str = "seq"  # wire name of the message's sequence number
    type: str = "type"  # wire name of the message type code
    level: str = "level"  # wire name of the warning level
    title: str = "title"  # wire name of the title
    content: str = "content"  # wire name of the text
    patient_id: str = "patientId"  # wire name of the patient id
    serial_number: str = "serialNumber"  # wire name of the visit serial number
    org_code: str = "orgCode"  # wire name of the organisation code
    dept_code: str = "deptCode"  # wire name of the department code
    user_id: str = "userId"  # wire name of the doctor's user id
    create_time: str = "createTime"  # wire name of the creation time
    card_id: str = "cardId"  # wire name of the report card id (kept in raw; for deep links)


class ServerApiSettings(BaseModel):
    """Server-to-server calls to the front-end: get a secret key, query messages."""

    base_url: str | None = None
    """Defaults to ``frontend.base_url``."""
    secret_key_path: str = "/hclient/api/auth/secretKey"  # path that exchanges the licence for a key
    message_query_path: str = "/hclient/api/message/query"  # path of the message query
    license_field: str = "license"  # request field carrying the licence code
    secret_key_field: str = "secretKey"  # field of the secret key (key reply, message query)
    expire_time_field: str = "expireTime"  # reply field with the key's expiry time
    org_code_field: str = "orgCode"  # message query field with frontend.org_code
    cursor_field: str = "cursor"  # message query field: continue after this cursor
    limit_field: str = "limit"  # message query field: most messages per page
    messages_field: str = "messages"  # reply field holding the list of messages
    next_cursor_field: str = "nextCursor"  # reply field with the cursor of the next page
    # errorCode values meaning "licence or key refused" (get a new key) rather than a passing fault.
    auth_error_codes: list[str] = Field(default_factory=lambda: ["02"])
    key_life_s: float = Field(7 * DAY_S, gt=0)
    """Assumed key life when the reply carries no expiry."""
    refresh_margin_s: float = Field(DAY_S, ge=0)
    """Refresh this long before the key expires (day 6 of 7 by default)."""
    timeout_s: float = Field(15.0, gt=0)  # seconds to wait for a key or message-query reply
    fields: MessageFieldNames = Field(default_factory=MessageFieldNames)


class ClientApiSettings(BaseModel):
    """The front-end client on the doctor's PC (SSO): a local HTTP listener."""

    base_url: str = "http://127.0.0.1:18881"  # the client's listener on the doctor's PC
    secret_key_path: str = "/client/secretKey"  # client path that exchanges the licence for a key
    sso_path: str = "/client/sso"  # client path that logs the doctor in
    license_param: str = "license"  # query parameter carrying the licence code
    secret_key_param: str = "secretKey"  # query parameter carrying the secret key
    user_param: str = "userId"  # query parameter carrying the doctor's user id
    secret_key_field: str = "secretKey"  # reply field with the secret key
    url_field: str = "url"  # SSO reply field with the page to open
    launch_target: str = Field("caller", pattern="^(caller|configured)$")
    """For ``POST /api/v1/sso/launch``: call the client on the caller's host, or at base_url."""
    check_delivered: bool = True
    """Refuse SSO while the doctor's base_user row is not delivered to the front-end."""
    timeout_s: float = Field(10.0, gt=0)  # seconds to wait for the client's reply
    deep_link_template: str = ""
    """Where 去处理 opens the client: a URL template with {session_url} {client_base_url}
    {patient_id} {visit_id} {card_id} {msg_id} {user_id}, e.g. the simulator's
    ``{session_url}/report-card?patientId={patient_id}&visitId={visit_id}&cardId={card_id}``.
    Empty (default): the client's deep-link form is unknown, so 去处理 opens its start page and
    the widget shows the visit number to copy. A warning without the patient or visit the
    template names also opens the start page; a missing report card id is left empty."""

    @field_validator("deep_link_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        try:
            unknown = placeholders(value) - set(DEEP_LINK_PLACEHOLDERS)
        except ValueError as exc:
            raise ValueError(f"深度链接模板格式错误 malformed deep_link_template: {exc}") from exc
        if unknown:
            raise ValueError(f"深度链接模板含未知占位符 unknown placeholders {sorted(unknown)}; "
                             f"allowed: {', '.join(DEEP_LINK_PLACEHOLDERS)}")
        return value


class PollerSettings(BaseModel):
    """The single message poller."""

    enabled: bool = True  # run the poller in ``hisbridge run`` (needs frontend.license)
    interval_s: float = Field(5.0, gt=0)  # seconds between polls while all is well
    page_limit: int = Field(100, ge=1, le=1000)  # messages asked for per query
    # After a failed poll wait this long, doubling per consecutive failure: while the front-end
    # is unreachable up to interval_s (so its recovery shows within one interval), after a
    # terminal failure (licence refused) up to backoff_cap_s.
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_cap_s: float = Field(300.0, gt=0)  # longest wait after terminal failures, in seconds
    lease_s: float = Field(30.0, gt=0)
    """The poller lease; a node that stops renewing loses it after this long."""
    stream_check_s: float = Field(0.5, gt=0)
    """How often SSE streams look for newly stored messages (any node may have polled them)."""
    heartbeat_s: float = Field(15.0, gt=0)  # SSE keep-alive interval of the message streams


class WebhookSettings(BaseModel):
    """Optional push of every new message to the HIS, signed with HMAC-SHA256."""

    url: str | None = None  # the HIS endpoint to POST each new message to; unset = no webhook
    secret: SecretStr | None = None  # HMAC-SHA256 key signing each webhook body
    max_attempts: int = Field(10, ge=1)  # failed sends before a delivery is given up (dead)
    # Retry delay after the first failure, doubling per attempt up to backoff_cap_s.
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_cap_s: float = Field(600.0, gt=0)  # longest retry delay, in seconds
    timeout_s: float = Field(10.0, gt=0)  # seconds to wait for the HIS to answer
    check_s: float = Field(1.0, gt=0)  # seconds between looks for due deliveries when idle


class WidgetSettings(BaseModel):
    """The workstation widget ``/ws/warnings``."""

    url_ttl_s: int = Field(12 * 3600, ge=60)  # lifetime of a signed widget URL, in seconds
    high_levels: list[str] = Field(default_factory=lambda: ["高", "high", "紧急", "3", "red"])
    """Levels that pop up a dialog when a new message arrives."""
    type_labels: dict[str, str] = Field(default_factory=lambda: {
        "missed_report": "传染病漏报提醒",
        "pathogen_positive": "病原学阳性提醒",
        "report_received": "报告卡已接收",
    })
    """Chinese labels of message types sent as codes (others are shown as sent)."""
    stale_after_s: float = Field(120.0, gt=0)
    """The widget warns that messages may be delayed when the last good poll is older."""
    public_base_url: str = "http://127.0.0.1:8700"
    """How HIS workstations reach the gateway (printed in widget URLs)."""

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict) and "allowed_origins" in data:
            raise ValueError("interaction.widget.allowed_origins 已移到 web.workstation_origins "
                             "(moved; lists the HIS origins allowed to frame pages and call the "
                             "SSO API; '*' is no longer possible), see docs/security.md")
        return data


class InteractionSettings(BaseModel):
    """Secret keys, message poller, SSO, widget and webhook (YAML section ``interaction``)."""

    server: ServerApiSettings = Field(default_factory=ServerApiSettings)
    client: ClientApiSettings = Field(default_factory=ClientApiSettings)
    poller: PollerSettings = Field(default_factory=PollerSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    widget: WidgetSettings = Field(default_factory=WidgetSettings)
    department_handling: bool = False
    """Let any doctor of the department mark read or handle a warning addressed to a colleague
    (recorded as done by them). Off: only the addressee can; colleagues see it as theirs."""
