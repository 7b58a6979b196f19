"""Settings of the Guangdong health-record connector (``settings.gdhealth``).

The provincial access guide is not public, so every wire detail — paths, header names, envelope
field names, signature scheme — is a setting with our best guess as the default (api.md Part A).
Validity windows are flows.md §3.3's proposals; all marked provisional in docs/gdhealth.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["DEFAULT_PATHS", "EnvelopeFields", "GdHealthSettings", "HeaderNames", "ValidityWindows"]

SignMethod = Literal["sm3", "hmac-sha256"]

DEFAULT_PATHS: dict[str, str] = {
    "person_resolve": "/person/resolve",
    "apply": "/authorization/apply",
    "sms_send": "/authorization/sms/send",
    "sms_verify": "/authorization/sms/verify",
    "code_redeem": "/authorization/code/redeem",
    "query": "/authorization/query",
    "cancel": "/authorization/cancel",
    "record_index": "/record/index",
    "record_document": "/record/document",
}


class HeaderNames(BaseModel):
    """Names of the signed request headers (A.1)."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str = "X-Partner-Id"
    timestamp: str = "X-Timestamp"
    nonce: str = "X-Nonce"
    signature: str = "X-Signature"
    org_code: str = "X-Org-Code"
    sign_method: str = "X-Sign-Method"


class EnvelopeFields(BaseModel):
    """Names of the reply envelope's fields ``{resultCode, resultMessage, data}``."""

    model_config = ConfigDict(extra="forbid")

    code: str = "resultCode"
    message: str = "resultMessage"
    data: str = "data"
    success_code: str = "0"


class ValidityWindows(BaseModel):
    """flows.md §3.3 (proposal): how long a request waits and how long a grant lasts."""

    model_config = ConfigDict(extra="forbid")

    sms_request_min: int = Field(10, ge=1)
    app_request_min: int = Field(30, ge=1)
    code_request_min: int = Field(10, ge=1)
    booking_request_max_h: int = Field(168, ge=1)
    outpatient_min_h: int = Field(24, ge=1)
    booking_review_days: int = Field(1, ge=0)
    inpatient_grace_days: int = Field(7, ge=0)
    inpatient_max_days: int = Field(90, ge=1)


class GdHealthSettings(BaseModel):
    """The provincial platform: where it is, our credentials, wire names, consent policy."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    base_url: str = "http://127.0.0.1:8900"
    partner_id: str = "HB-PARTNER-0001"
    partner_secret: SecretStr = SecretStr("change-me-partner-secret")
    sm4_key: SecretStr = SecretStr("0123456789abcdef")
    sign_method: SignMethod = "sm3"
    timestamp_window_s: int = Field(900, ge=1)
    org_code: str = "440100001"
    org_name: str = "示例市第一人民医院"
    callback_url: str = "http://127.0.0.1:8700/api/v1/consents/callback"
    callback_secret: SecretStr = SecretStr("change-me-callback-secret")
    paths: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PATHS))
    headers: HeaderNames = Field(default_factory=HeaderNames)
    envelope: EnvelopeFields = Field(default_factory=EnvelopeFields)
    windows: ValidityWindows = Field(default_factory=ValidityWindows)
    auto_apply_at_registration: bool = False
    auto_apply_at_admission: bool = False
    close_at_discharge: bool = True
    sms_max_attempts: int = Field(5, ge=1, le=20)
    connect_timeout_s: float = Field(3.0, gt=0)
    read_timeout_s: float = Field(10.0, gt=0)
    document_timeout_s: float = Field(30.0, gt=0)
    cache_max_entries: int = Field(500, ge=0)
    audit_hash: Literal["sm3", "sha256"] = "sm3"
    audit_retention_days: int = Field(1095, ge=183)

    def path(self, name: str) -> str:
        """The configured path of endpoint ``name`` (falls back to api.md's suggestion)."""
        return self.paths.get(name) or DEFAULT_PATHS[name]
