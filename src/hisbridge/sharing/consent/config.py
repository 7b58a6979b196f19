"""Settings of the Guangdong health-record connector (``settings.gdhealth``).

The provincial access guide is not public, so every wire detail — paths, header names, envelope
field names, signature scheme — is a setting with our best guess as the default (api.md Part A).
Validity windows are flows.md §3.3's proposals; all marked provisional in docs/gdhealth.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "DEFAULT_PATHS",
    "ORG_NAME_MISSING_ZH",
    "EnvelopeFields",
    "GdHealthSettings",
    "HeaderNames",
    "ValidityWindows",
]

ORG_NAME_MISSING_ZH = (
    "未配置本院名称 gdhealth.org_name:患者收到的短信和粤健通消息需显示本院名称,"
    "请填写后重启 / set gdhealth.org_name, the name patients see in their SMS and app messages"
)

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

    partner_id: str = "X-Partner-Id"  # header carrying gdhealth.partner_id
    timestamp: str = "X-Timestamp"  # header carrying the request time (milliseconds)
    nonce: str = "X-Nonce"  # header carrying a one-time random value
    signature: str = "X-Signature"  # header carrying the request signature
    org_code: str = "X-Org-Code"  # header carrying gdhealth.org_code
    sign_method: str = "X-Sign-Method"  # header naming the signature scheme (gdhealth.sign_method)


class EnvelopeFields(BaseModel):
    """Names of the reply envelope's fields ``{resultCode, resultMessage, data}``."""

    model_config = ConfigDict(extra="forbid")

    code: str = "resultCode"  # reply field with the result code
    message: str = "resultMessage"  # reply field with the result message
    data: str = "data"  # reply field with the payload
    success_code: str = "0"  # result code meaning success


class ValidityWindows(BaseModel):
    """flows.md §3.3 (proposal): how long a request waits and how long a grant lasts."""

    model_config = ConfigDict(extra="forbid")

    sms_request_min: int = Field(10, ge=1)  # minutes an SMS request waits for the patient's answer
    app_request_min: int = Field(30, ge=1)  # minutes an APP request waits for the patient's answer
    code_request_min: int = Field(10, ge=1)  # minutes an authorization-code request stays open
    # Hours a booking request waits at most (it also ends as booking_request_until says).
    booking_request_max_h: int = Field(168, ge=1)
    # When an unanswered booking request ends: slot_start = when the booked slot starts
    # (flows.md §3.3), end_of_slot_day = 23:59:59 of the slot's day. Without a slot time: the
    # end of the visit day either way.
    booking_request_until: Literal["slot_start", "end_of_slot_day"] = "slot_start"
    # Outpatient grant: to the end of the visit day, and at least this many hours.
    outpatient_min_h: int = Field(24, ge=1)
    booking_review_days: int = Field(1, ge=0)  # booking grant: days after the booked day
    # Inpatient grant: days after discharge (0 with close_at_discharge = cancel at discharge).
    inpatient_grace_days: int = Field(7, ge=0)
    inpatient_max_days: int = Field(90, ge=1)  # inpatient grant before discharge: days from admission


class GdHealthSettings(BaseModel):
    """The provincial platform: where it is, our credentials, wire names, consent policy."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True  # wire authorization and record viewing into ``hisbridge run``
    base_url: str = "http://127.0.0.1:8900"  # root URL of the provincial platform's API
    partner_id: str = "HB-PARTNER-0001"  # our partner id at the platform
    # Key that signs our requests, issued at onboarding; no default (hisbridge init makes one).
    partner_secret: SecretStr = SecretStr("")
    # SM4 key encrypting personal fields (32 hex digits or 16 bytes), exchanged at onboarding;
    # no default (hisbridge init makes one).
    sm4_key: SecretStr = SecretStr("")
    sign_method: SignMethod = "sm3"  # request signature scheme
    # Seconds a signed callback's timestamp may differ from our clock (nonces are kept as long).
    timestamp_window_s: int = Field(900, ge=1)
    org_code: str = "440100001"  # the hospital's organisation code at the platform
    # The hospital's name as patients know it: shown in their SMS and 粤健通 messages. No default:
    # without it no authorization is requested (``hisbridge check`` reports it).
    org_name: str = ""
    # Our URL the platform calls when a patient answers (sent with each request).
    callback_url: str = "http://127.0.0.1:8700/api/v1/consents/callback"
    # Key that verifies the platform's signed callbacks; no default (hisbridge init makes one).
    callback_secret: SecretStr = SecretStr("")
    # Endpoint name → path at the platform (missing names use the built-in paths).
    paths: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PATHS))
    headers: HeaderNames = Field(default_factory=HeaderNames)
    envelope: EnvelopeFields = Field(default_factory=EnvelopeFields)
    windows: ValidityWindows = Field(default_factory=ValidityWindows)
    # Ask the platform whether it knows the patient (person/resolve) before the viewer offers
    # any authorization channel; false offers every channel unchecked.
    resolve_person_first: bool = True
    # Seconds between an open viewer's checks that its grant still holds, so that an idle page
    # stops showing records after a revocation (any click checks at once).
    viewer_recheck_s: int = Field(30, ge=2, le=600)
    # Ask for the patient's authorization on the APP channel when an outpatient visit is registered.
    auto_apply_at_registration: bool = False
    auto_apply_at_admission: bool = False  # the same when an inpatient is admitted
    # Cancel an inpatient grant at discharge when windows.inpatient_grace_days is 0.
    close_at_discharge: bool = True
    sms_max_attempts: int = Field(5, ge=1, le=20)  # wrong SMS codes before the request locks
    connect_timeout_s: float = Field(3.0, gt=0)  # seconds to open a connection to the platform
    read_timeout_s: float = Field(10.0, gt=0)  # seconds to wait for a reply
    document_timeout_s: float = Field(30.0, gt=0)  # seconds to wait for a record document
    # Records fetched from the platform kept in memory (each only while its grant lasts); 0 = none.
    cache_max_entries: int = Field(500, ge=0)
    audit_hash: Literal["sm3", "sha256"] = "sm3"  # hash chaining the audit log
    # Days audit entries are kept before ``hisbridge audit prune`` may delete them (at least 183).
    audit_retention_days: int = Field(1095, ge=183)

    def problems(self) -> list[str]:
        """What keeps record sharing from working for patients (for ``check`` and startup)."""
        if self.enabled and not self.org_name.strip():
            return [ORG_NAME_MISSING_ZH]
        return []

    def path(self, name: str) -> str:
        """The configured path of endpoint ``name`` (falls back to api.md's suggestion)."""
        return self.paths.get(name) or DEFAULT_PATHS[name]
