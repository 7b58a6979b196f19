"""One settings object: a YAML file, overlaid by ``HISBRIDGE_`` environment variables.

Nested keys use ``__`` in the environment (``HISBRIDGE_FRONTEND__BASE_URL``). Secrets are
``SecretStr`` and may also come from files in a secrets directory (one file per setting, named
like the environment variable without the prefix, e.g. ``frontend__license``). Built once at the
edge (CLI, demo) and passed down through constructors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from hisbridge.connectors.frontend.interaction_config import InteractionSettings
from hisbridge.connectors.gdhealth.config import GdHealthSettings
from hisbridge.console.config import ConsoleSettings
from hisbridge.errors import ConfigError
from hisbridge.mapping.config import HisSettings

__all__ = [
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

    url: str = "sqlite:///hisbridge-data/hisbridge.db"


class MemorySettings(BaseModel):
    """Keeping a gateway that runs for months at a flat memory footprint (``runtime.memory``)."""

    # SQLite's process-wide soft heap limit: above it cached pages are recycled instead of
    # every pooled connection filling its own 2 MiB cache. 0 = SQLite's default (no limit).
    sqlite_heap_limit_mb: int = Field(32, ge=0)
    # Give freed C-heap memory back to the operating system this often (glibc); 0 = never.
    trim_every_s: float = Field(60.0, ge=0)


class RetentionSettings(BaseModel):
    """How long the store keeps finished work (``hisbridge.store.retention``); 0 = forever.

    Only finished rows are ever pruned: queued outbox entries, the newest version of every
    record, the audit log, consents and front-end messages are kept whatever their age.
    """

    delivered_days: int = Field(90, ge=0)  # delivered outbox entries of superseded versions
    dead_days: int = Field(365, ge=0)  # dead letters need a human: kept a year by default
    attempts_days: int = Field(30, ge=0)  # attempt rows of delivered entries
    quarantine_days: int = Field(365, ge=0)
    source_runs_days: int = Field(30, ge=0)  # the newest run of every table is always kept
    source_rejects_days: int = Field(90, ge=0)
    seen_keys_days: int = Field(7, ge=0)  # at least 2 apply: the sweep reads yesterday's
    sessions_days: int = Field(7, ge=0)  # console sessions, counted from their expiry
    login_attempts_days: int = Field(90, ge=0)
    actions_days: int = Field(0, ge=0)  # console actions are the record of who did what
    alerts_days: int = Field(90, ge=0)  # resolved alerts; firing ones are always kept
    batch_size: int = Field(1000, ge=1, le=5000)  # rows per delete transaction
    every_s: float = Field(86400.0, ge=0)  # how often the gateway prunes; 0 = only the CLI


class FrontendSettings(BaseModel):
    """The national front-end software: its data API (or intermediate database) and licence."""

    mode: Literal["api", "db"] = "api"
    base_url: str = "http://127.0.0.1:8881"
    key_style: Literal["camel", "snake", "upper"] = "camel"
    connect_timeout_s: float = 5.0
    timeout_s: float = 15.0
    concurrency: int = Field(16, ge=1, le=256)
    db_url: str | None = None
    db_schema: str | None = None
    org_code: str = "440100001"
    org_name: str = "示例市第一人民医院"
    license: SecretStr | None = None
    path_overrides: dict[str, str] = Field(default_factory=dict)


class ValidationSettings(BaseModel):
    mode: Literal["lenient", "strict"] = "lenient"


class DeliverySettings(BaseModel):
    batch_size: int = Field(200, ge=1, le=10_000)
    parent_wait_s: float = Field(600.0, ge=0)
    retry_base_s: float = Field(2.0, gt=0)
    retry_cap_s: float = Field(600.0, gt=0)
    max_attempts: int = Field(50, ge=1)
    lease_s: float = Field(120.0, gt=0)
    on_parent_timeout: Literal["send", "dead"] = "send"
    """After parent_wait_s a child is sent anyway (the front-end accepts orphans) or dead-lettered."""


class PushSettings(BaseModel):
    token: SecretStr | None = None
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    rate_per_s: float = Field(0.0, ge=0)  # push requests per second per client; 0 = no limit
    rate_burst: int = Field(0, ge=0)  # bucket size; 0 = twice the rate


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8700, ge=1, le=65535)
    secret_key: SecretStr = SecretStr("change-me-in-production")
    tls_cert: Path | None = None
    tls_key: Path | None = None


class Settings(BaseSettings):
    """Everything hisbridge can be told. See docs/ for every key with its default."""

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
    his: HisSettings = Field(default_factory=HisSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file (passed as init values); secrets files come last.
        return env_settings, init_settings, file_secret_settings


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


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from ``path`` (optional), the environment and ``overrides``, validated."""
    values = _read_yaml(path) if path is not None else {}
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
