"""One settings object: a YAML file, overlaid by ``HISBRIDGE_`` environment variables.

Nested keys use ``__`` in the environment (``HISBRIDGE_FRONTEND__BASE_URL``). Secrets are
``SecretStr`` and may also come from files in ``HISBRIDGE_SECRETS_DIR``: one file per setting,
named like the environment variable without the prefix (``frontend__license``,
``push__token``; docs/configuration.md). Built once at the edge (CLI, demo) and passed down
through constructors.
"""

from __future__ import annotations

import os
from datetime import tzinfo
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from hisbridge._clock import time_zone
from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.connectors.frontend.interaction_config import InteractionSettings
from hisbridge.errors import ConfigError
from hisbridge.institutions.config import Institution, InstitutionSettings, resolve_institutions
from hisbridge.mapping.config import HisSettings
from hisbridge.ops.settings import ConsoleSettings
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.store.retention.policy import RetentionSettings

__all__ = [
    "ConsentSettings",
    "DeliverySettings",
    "FrontendSettings",
    "PushSettings",
    "RetentionSettings",
    "Settings",
    "StoreSettings",
    "ValidationSettings",
    "WebSettings",
    "load_settings",
]


class StoreSettings(BaseModel):
    """The gateway's own store: SQLite by default, PostgreSQL in production."""

    # SQLAlchemy URL of the gateway's store (outbox, messages, consents, audit, users).
    url: str = "sqlite:///hisbridge-data/hisbridge.db"


class MemorySettings(BaseModel):
    """Keeping a gateway that runs for months at a flat memory footprint (``runtime.memory``)."""

    # SQLite's process-wide soft heap limit: above it cached pages are recycled instead of
    # every pooled connection filling its own 2 MiB cache. 0 = SQLite's default (no limit).
    sqlite_heap_limit_mb: int = Field(32, ge=0)
    # At most this many glibc malloc arenas (like MALLOC_ARENA_MAX): fewer arenas, less memory
    # kept free and scattered over threads. 0 = glibc's default (eight per core).
    malloc_arenas: int = Field(2, ge=0)
    # Allocations of this many KiB or more get their own mapping, given back when freed (glibc
    # M_MMAP_THRESHOLD, fixed instead of glibc's sliding one). 0 = glibc's default.
    mmap_threshold_kib: int = Field(128, ge=0)
    # Give freed C-heap memory back to the operating system this often (glibc); 0 = never.
    trim_every_s: float = Field(60.0, ge=0)


class ValidationSettings(BaseModel):
    """How records are checked against the dictionary before they are queued."""

    # lenient: what the 2025 front-end enforced; strict: also the fields the 2026 front-end was
    # seen to reject when empty, and code-set / ID-number problems become errors.
    mode: Literal["lenient", "strict"] = "lenient"


class DeliverySettings(BaseModel):
    """The outbox workers: how many entries they claim, how they retry, how children wait."""

    # Outbox entries a worker claims at once (at least 1000 in db mode).
    batch_size: int = Field(200, ge=1, le=10_000)
    # Seconds a child record waits for its parent to be delivered (then on_parent_timeout applies).
    parent_wait_s: float = Field(600.0, ge=0)
    # First retry delay in seconds; doubles with each failed attempt (with jitter), up to retry_cap_s.
    retry_base_s: float = Field(2.0, gt=0)
    retry_cap_s: float = Field(600.0, gt=0)  # longest delay between two attempts, in seconds
    max_attempts: int = Field(50, ge=1)  # failed attempts before an entry is dead-lettered
    # Seconds a claimed entry belongs to its worker; a dead worker's entries return after this.
    lease_s: float = Field(120.0, gt=0)
    # Circuit breaker: after this many consecutive unreachable sends (refused, timeout, 5xx) stop
    # sending, probe with one record after retry_base_s, doubling up to breaker_max_s; the first
    # probe that gets through resumes sending and makes every waiting retry due now. 0 = off.
    breaker_threshold: int = Field(5, ge=0)
    breaker_max_s: float = Field(15.0, gt=0)  # longest pause between probes of a down receiver
    on_parent_timeout: Literal["send", "dead"] = "send"
    """After parent_wait_s a child is sent anyway (the front-end accepts orphans) or dead-lettered."""
    on_parent_delete: Literal["cascade", "hold"] = "cascade"
    """A parent's delete first deletes the children delivered for it (cascade), or waits, held
    with a note, until the HIS deletes them itself (hold). Either way no orphan is left."""


class PushSettings(BaseModel):
    """The HIS push API (``/api/v1/events``): its token, body size limit and rate limit."""

    # Bearer token the HIS sends to the push API (also read from HISBRIDGE_PUSH_TOKEN).
    token: SecretStr | None = None
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)  # larger request bodies get 413
    rate_per_s: float = Field(0.0, ge=0)  # push requests per second per client; 0 = no limit
    rate_burst: int = Field(0, ge=0)  # bucket size; 0 = twice the rate


class WebSettings(BaseModel):
    """The gateway's web server (push API, console, widget, viewer)."""

    host: str = "127.0.0.1"  # address ``hisbridge run`` listens on
    port: int = Field(8700, ge=1, le=65535)  # port ``hisbridge run`` listens on
    # HMAC key of the signed URLs (warning widget, warnings API, shared-documents viewer) the HIS builds;
    # no default: hisbridge init generates one, hisbridge run refuses to start without it.
    secret_key: SecretStr = SecretStr("")
    # Keys of a rotation still accepted when verifying signed URLs (new links always use
    # secret_key); remove them once every HIS signs with the new key.
    previous_secret_keys: list[SecretStr] = Field(default_factory=list)
    # Origins (scheme://host[:port]) of the HIS workstation pages allowed to embed the patient
    # pages in a frame and to call the SSO API cross-origin; empty = same origin only.
    workstation_origins: list[str] = Field(default_factory=list)
    # A proxy in front terminates TLS: mark cookies Secure and send HSTS as under tls_cert.
    behind_tls_proxy: bool = False
    # PEM certificate and key; with both set the gateway serves HTTPS.
    tls_cert: Path | None = None
    tls_key: Path | None = None  # PEM private key of tls_cert
    # Time zone the console and CLI show times in; empty = the HIS's zone (his.timezone).
    display_timezone: str = ""
    # /metrics reads waiting outbox entries on every scrape; finished entries (delivered, dead)
    # and quarantine are recounted in the background this often, never by a scrape.
    metrics_recount_s: float = Field(60.0, gt=0)

    @field_validator("display_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value:
            time_zone(value)
        return value

    @property
    def https(self) -> bool:
        """Do browsers reach the gateway over TLS (served here or by a declared proxy)?"""
        return self.behind_tls_proxy or (self.tls_cert is not None and self.tls_key is not None)

    def verification_keys(self) -> list[str]:
        """The keys a signed URL may be signed with: the current one, then the rotated ones."""
        return [self.secret_key.get_secret_value(),
                *(k.get_secret_value() for k in self.previous_secret_keys)]


class LogSettings(BaseModel):
    """What ``hisbridge run`` writes to its log besides errors (format: HISBRIDGE_LOG_JSON)."""

    # Seconds between summary lines (polled, accepted, delivered, held, dead, backlog, oldest
    # waiting age, per platform); 0 = no summary lines.
    summary_every_s: float = Field(60.0, ge=0)


class ConsentSettings(BaseModel):
    """Who may use a patient's grant to view records (``consent.viewer_scope``)."""

    # institution: any doctor of the hospital; department: doctors of the encounter's department
    # (the doctor's department is taken from their base_user record when the gateway has it);
    # doctor: only the doctor who asked for the grant.
    viewer_scope: Literal["institution", "department", "doctor"] = "department"


class Settings(BaseSettings):
    """Everything hisbridge can be told. See docs/configuration.md for every key with its default."""

    model_config = SettingsConfigDict(
        env_prefix="HISBRIDGE_",
        env_nested_delimiter="__",
        extra="forbid",
        secrets_dir=os.environ.get("HISBRIDGE_SECRETS_DIR") or None,
    )

    store: StoreSettings = Field(default_factory=StoreSettings)
    frontend: FrontendSettings = Field(default_factory=FrontendSettings)
    validation: ValidationSettings = Field(default_factory=ValidationSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    push: PushSettings = Field(default_factory=PushSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    interaction: InteractionSettings = Field(default_factory=InteractionSettings)
    gdhealth: GdHealthSettings = Field(default_factory=GdHealthSettings)
    consent: ConsentSettings = Field(default_factory=ConsentSettings)
    his: HisSettings = Field(default_factory=HisSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    # A hospital group's institutions (县域医共体, campuses): each org_code with what differs from
    # the frontend and gdhealth sections. Empty: the one institution those sections describe.
    institutions: list[InstitutionSettings] = Field(default_factory=list)

    def institution_list(self) -> tuple[Institution, ...]:
        """The institutions this gateway serves, each with complete settings."""
        return resolve_institutions(self.frontend, self.gdhealth, self.institutions)

    def display_zone(self) -> tzinfo:
        """The zone people see times in: ``web.display_timezone``, else the HIS's zone."""
        return time_zone(self.web.display_timezone) if self.web.display_timezone else self.his.zone()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file (passed as init values); secrets files come last, one file
        # per key path (``frontend__license``), as Docker and Kubernetes mount secrets.
        secrets = NestedSecretsSettingsSource(file_secret_settings, secrets_prefix="",
                                              secrets_nested_delimiter="__", case_sensitive=False)
        return env_settings, init_settings, secrets


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text("utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"配置文件不存在 config file not found: {path.resolve()}",
                          hint="用 hisbridge init DIR 生成一份示例配置") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"配置文件不是合法的 YAML: {path}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(f"配置文件顶层应为映射 top level must be a mapping: {path}")
    return loaded


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def drop_empty_secrets(values: dict[str, Any], model: type[BaseModel] = Settings) -> dict[str, Any]:
    """``values`` (a config file's, nested) without secrets set to ``""``: an emptied secret is
    unset, so the environment or ``HISBRIDGE_SECRETS_DIR`` may still supply it (a file value,
    even empty, would otherwise beat the secrets directory). Secrets are the model's
    ``SecretStr`` fields, found by walking the settings models."""
    for key, value in list(values.items()):
        field = model.model_fields.get(key)
        if field is None:
            continue
        if value == "" and _is_secret(field.annotation):
            del values[key]
        elif isinstance(value, dict) and isinstance(field.annotation, type) \
                and issubclass(field.annotation, BaseModel):
            drop_empty_secrets(value, field.annotation)
    return values


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``path`` (optional), the environment and ``overrides``, validated."""
    values = drop_empty_secrets(_read_yaml(path)) if path is not None else {}
    for key, value in overrides.items():
        values.setdefault(key, {}).update(value) if isinstance(value, dict) else None
    try:
        return Settings(**values)
    except ValidationError as exc:
        where = f"{path}" if path else "environment"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ConfigError(f"配置无效 invalid settings ({where}, HISBRIDGE_* env): {problems}") from exc
