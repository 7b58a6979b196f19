"""Settings of the system-interaction APIs: secret keys, message query, SSO, widget, webhook.

No official text of these APIs is public (``spec/frontend/protocol.md`` §4), so every path and
JSON field name is a setting. The defaults follow the provisional contract of hisbridge's own
front-end simulator (``hisbridge simulate frontend`` / ``client``); change them here, not in
code, when the real specification is known. YAML section ``interaction``; environment
``HISBRIDGE_INTERACTION__...``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

__all__ = [
    "ClientApiSettings",
    "InteractionSettings",
    "MessageFieldNames",
    "PollerSettings",
    "ServerApiSettings",
    "WebhookSettings",
    "WidgetSettings",
]

DAY_S = 86_400.0


class MessageFieldNames(BaseModel):
    """Wire names of a message's fields (ours on the left, the front-end's on the right)."""

    msg_id: str = "msgId"
    seq: str = "seq"
    type: str = "type"
    level: str = "level"
    title: str = "title"
    content: str = "content"
    patient_id: str = "patientId"
    serial_number: str = "serialNumber"
    org_code: str = "orgCode"
    dept_code: str = "deptCode"
    user_id: str = "userId"
    create_time: str = "createTime"


class ServerApiSettings(BaseModel):
    """Server-to-server calls to the front-end: get a secret key, query messages."""

    base_url: str | None = None
    """Defaults to ``frontend.base_url``."""
    secret_key_path: str = "/hclient/api/auth/secretKey"
    message_query_path: str = "/hclient/api/message/query"
    license_field: str = "license"
    secret_key_field: str = "secretKey"
    expire_time_field: str = "expireTime"
    org_code_field: str = "orgCode"
    cursor_field: str = "cursor"
    limit_field: str = "limit"
    messages_field: str = "messages"
    next_cursor_field: str = "nextCursor"
    auth_error_codes: list[str] = Field(default_factory=lambda: ["02"])
    key_life_s: float = Field(7 * DAY_S, gt=0)
    """Assumed key life when the reply carries no expiry."""
    refresh_margin_s: float = Field(DAY_S, ge=0)
    """Refresh this long before the key expires (day 6 of 7 by default)."""
    timeout_s: float = Field(15.0, gt=0)
    fields: MessageFieldNames = Field(default_factory=MessageFieldNames)


class ClientApiSettings(BaseModel):
    """The front-end client on the doctor's PC (SSO): a local HTTP listener."""

    base_url: str = "http://127.0.0.1:18881"
    secret_key_path: str = "/client/secretKey"
    sso_path: str = "/client/sso"
    license_param: str = "license"
    secret_key_param: str = "secretKey"
    user_param: str = "userId"
    secret_key_field: str = "secretKey"
    url_field: str = "url"
    launch_target: str = Field("caller", pattern="^(caller|configured)$")
    """For ``POST /api/v1/sso/launch``: call the client on the caller's host, or at base_url."""
    check_delivered: bool = True
    """Refuse SSO while the doctor's base_user row is not delivered to the front-end."""
    timeout_s: float = Field(10.0, gt=0)


class PollerSettings(BaseModel):
    """The single message poller."""

    enabled: bool = True
    interval_s: float = Field(5.0, gt=0)
    page_limit: int = Field(100, ge=1, le=1000)
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_cap_s: float = Field(300.0, gt=0)
    lease_s: float = Field(30.0, gt=0)
    """The poller lease; a node that stops renewing loses it after this long."""
    stream_check_s: float = Field(0.5, gt=0)
    """How often SSE streams look for newly stored messages (any node may have polled them)."""
    heartbeat_s: float = Field(15.0, gt=0)


class WebhookSettings(BaseModel):
    """Optional push of every new message to the HIS, signed with HMAC-SHA256."""

    url: str | None = None
    secret: SecretStr | None = None
    max_attempts: int = Field(10, ge=1)
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_cap_s: float = Field(600.0, gt=0)
    timeout_s: float = Field(10.0, gt=0)
    check_s: float = Field(1.0, gt=0)


class WidgetSettings(BaseModel):
    """The workstation widget ``/ws/alerts``."""

    url_ttl_s: int = Field(12 * 3600, ge=60)
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
    allowed_origins: list[str] = Field(default_factory=lambda: ["*"])
    """Origins of HIS pages that may call the SSO API cross-origin (``/ws/sso.js`` loaded into a
    HIS page); the signed query is what protects it, this narrows it further."""
    public_base_url: str = "http://127.0.0.1:8700"
    """How HIS workstations reach the gateway (printed in widget URLs)."""


class InteractionSettings(BaseModel):
    """Secret keys, message poller, SSO, widget and webhook (YAML section ``interaction``)."""

    server: ServerApiSettings = Field(default_factory=ServerApiSettings)
    client: ClientApiSettings = Field(default_factory=ClientApiSettings)
    poller: PollerSettings = Field(default_factory=PollerSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    widget: WidgetSettings = Field(default_factory=WidgetSettings)
