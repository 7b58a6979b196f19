"""Typed settings for the front-end data API and database sink, derived from ``Settings``.

The data API's paths are ``/hclient/emr/receive/{camelTable}`` (protocol.md 2.1); a deployment
may move them, so ``frontend.path_overrides`` maps a table name to another path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import KeyStyle
from hisbridge.errors import ConfigError

__all__ = ["DataApiConfig", "DbSinkConfig", "FrontendSettings", "api_config", "db_config"]


class FrontendSettings(BaseModel):
    """The national front-end software: its data API (or intermediate database) and licence."""

    # Deliver through the front-end's HTTP data API, or write into its intermediate database.
    mode: Literal["api", "db"] = "api"
    # Root URL of the front-end's data API (and of its key and message APIs unless overridden).
    base_url: str = "http://127.0.0.1:8881"
    # Key spelling of records sent to the data API: camelCase, snake_case or UPPER_CASE.
    key_style: Literal["camel", "snake", "upper"] = "camel"
    connect_timeout_s: float = 5.0  # data API: seconds to open a connection
    timeout_s: float = 15.0  # data API: seconds to wait for a reply
    # Delivery workers sending at the same time (concurrent requests to the front-end).
    concurrency: int = Field(16, ge=1, le=256)
    # SQLAlchemy URL of the intermediate database (PostgreSQL or MySQL/MariaDB); needed in db mode.
    db_url: str | None = None
    # Schema of the 20 tables in the intermediate database; none = the connection's default.
    db_schema: str | None = None
    # The hospital's organisation code, filled into records and message queries.
    org_code: str = "440100001"
    org_name: str = "示例市第一人民医院"  # the hospital's name, filled into records
    # The organisation licence code (机构授权码) issued for the front-end: secret keys and SSO need it.
    license: SecretStr | None = None
    # Table name → data-API path, for a deployment that moved a table's receive path.
    path_overrides: dict[str, str] = Field(default_factory=dict)

    @property
    def api_body_at_intake(self) -> bool:
        """Is the data API's body (camelCase JSON) built once at intake and sent as stored?"""
        return self.mode == "api" and self.key_style == "camel"


_DEFAULTS = FrontendSettings()  # the one place the front-end's defaults are typed


@dataclass(frozen=True, slots=True)
class DataApiConfig:
    """Where and how to call the data API; defaults are ``FrontendSettings``' own."""

    base_url: str = _DEFAULTS.base_url
    key_style: KeyStyle = _DEFAULTS.key_style
    connect_timeout_s: float = _DEFAULTS.connect_timeout_s
    timeout_s: float = _DEFAULTS.timeout_s
    concurrency: int = _DEFAULTS.concurrency
    paths: Mapping[str, str] = field(default_factory=dict)

    def path(self, table: str) -> str:
        """The request path for ``table`` (an override, else the spec's path)."""
        return self.paths.get(table) or load_dictionary().table(table).api_path

    def url(self, table: str) -> str:
        return self.base_url.rstrip("/") + self.path(table)


@dataclass(frozen=True, slots=True)
class DbSinkConfig:
    """The intermediate database the front-end reads (PostgreSQL or MySQL/MariaDB)."""

    url: str
    schema: str | None = None
    dialect: Literal["postgresql", "mysql"] = "postgresql"


def api_config(settings: FrontendSettings) -> DataApiConfig:
    """The data-API settings, with table names in overrides checked against the dictionary."""
    dictionary = load_dictionary()
    paths = {dictionary.table(name).name: path for name, path in settings.path_overrides.items()}
    return DataApiConfig(settings.base_url, settings.key_style, settings.connect_timeout_s,
                         settings.timeout_s, settings.concurrency, paths)


def db_config(settings: FrontendSettings) -> DbSinkConfig:
    """The sink settings; ``frontend.db_url`` is required in ``db`` mode."""
    if not settings.db_url:
        raise ConfigError("frontend.mode 为 db 时必须配置 frontend.db_url",
                          hint="例如 postgresql://user:pass@host/frontend"
                               "（或环境变量 HISBRIDGE_FRONTEND__DB_URL）")
    mysql = settings.db_url.startswith(("mysql", "mariadb"))
    return DbSinkConfig(settings.db_url, settings.db_schema, "mysql" if mysql else "postgresql")
