"""Typed settings for the front-end data API and database sink, derived from ``Settings``.

The data API's paths are ``/hclient/emr/receive/{camelTable}`` (protocol.md 2.1); a deployment
may move them, so ``frontend.path_overrides`` maps a table name to another path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from hisbridge.errors import ConfigError
from hisbridge.settings import FrontendSettings
from hisbridge.spec import load_dictionary
from hisbridge.spec.wire import KeyStyle

__all__ = ["DataApiConfig", "DbSinkConfig", "api_config", "db_config"]


@dataclass(frozen=True, slots=True)
class DataApiConfig:
    """Where and how to call the data API."""

    base_url: str = "http://127.0.0.1:8881"
    key_style: KeyStyle = "camel"
    connect_timeout_s: float = 5.0
    timeout_s: float = 15.0
    concurrency: int = 16
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
