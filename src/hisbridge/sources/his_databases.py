"""The database families a HIS runs on, as ``open_source`` needs them: each URL's default driver,
the portable liveness query, and the work-arounds two families need (docs/his-databases.md).

- A bare scheme gets the driver that installs as a wheel with no system library: ``postgresql``
  (also KingbaseES and openGauss) → psycopg, ``mysql``/``mariadb`` → PyMySQL, ``mssql`` → pymssql
  (FreeTDS inside the wheel; ``mssql+pyodbc`` still works where Microsoft's ODBC driver is
  installed), ``oracle`` → python-oracledb in thin mode, ``dm`` → dmPython.
- KingbaseES, openGauss-lite and GaussDB answer ``version()`` without the words "PostgreSQL N",
  which SQLAlchemy's PostgreSQL dialect refuses ("Could not determine version from string"):
  their engines fall back to the version the server announced at connect (``server_version``).
- dmSQLAlchemy (DM's dialect, the ``dm`` extra) imports its asyncio dialect from its package
  ``__init__`` using names SQLAlchemy 2.1 removed; hisbridge never uses that asyncio dialect, so
  when it cannot import, an empty stand-in takes its place and the synchronous dialect loads.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from typing import Any

from sqlalchemy import Engine, Select, literal_column, select
from sqlalchemy.engine import URL

__all__ = ["PING", "lenient_pg_version", "prepare_dm_dialect", "server_version_tuple", "with_driver"]

# Oracle and DM need FROM DUAL: SQLAlchemy adds it for the dialects that do.
PING: Select[Any] = select(literal_column("1"))

_DEFAULT_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql",
                    "mssql": "pymssql", "oracle": "oracledb", "dm": "dmPython"}
_PG_VERSION = re.compile(r".*(?:PostgreSQL|EnterpriseDB) \d")


def with_driver(url: URL) -> URL:
    """``url`` with its family's default driver when it names none (``mssql://`` → pymssql)."""
    backend = url.get_backend_name()
    if "+" in url.drivername or backend not in _DEFAULT_DRIVERS:
        return url
    return url.set(drivername=f"{backend}+{_DEFAULT_DRIVERS[backend]}")


def server_version_tuple(number: int) -> tuple[int, ...]:
    """libpq's ``server_version`` number as a version: 90204 → (9, 2, 4), 120001 → (12, 1)."""
    if number >= 100000:
        return number // 10000, number % 10000
    return number // 10000, number // 100 % 100, number % 100


def lenient_pg_version(engine: Engine) -> None:
    """Let ``engine``'s PostgreSQL dialect accept PostgreSQL-compatible servers whose
    ``version()`` does not say "PostgreSQL N" (KingbaseES, openGauss-lite, GaussDB)."""
    dialect: Any = engine.dialect
    strict = dialect._get_server_version_info

    def _version(connection: Any) -> tuple[int, ...]:
        said = connection.exec_driver_sql("select pg_catalog.version()").scalar() or ""
        if _PG_VERSION.match(said):
            return tuple(strict(connection))
        return server_version_tuple(int(connection.connection.dbapi_connection.info.server_version))

    dialect._get_server_version_info = _version  # this engine's dialect only


def prepare_dm_dialect() -> None:
    """Make ``dm+dmPython`` loadable on SQLAlchemy 2.1 (see the module's docstring)."""
    name = "dmSQLAlchemy.dmasync"
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
    except ImportError as exc:
        if exc.name == "dmSQLAlchemy":
            return  # the dm extra is not installed: create_engine says so in its own words
        sys.modules.pop("dmSQLAlchemy", None)  # its __init__ failed half-way: import it again
        stand_in = types.ModuleType(name, "DM's asyncio dialect: unusable on this SQLAlchemy")
        stand_in.dialect_async = None  # type: ignore[attr-defined]
        sys.modules[name] = stand_in
