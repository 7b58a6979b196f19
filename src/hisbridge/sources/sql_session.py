"""HIS database sessions: read-only, with a statement timeout, streamed in bounded pages.

PostgreSQL (and KingbaseES, openGauss) gets ``default_transaction_read_only`` and
``statement_timeout`` as connection options and a server-side cursor; MariaDB/MySQL get
``SET SESSION TRANSACTION READ ONLY`` and ``max_statement_time`` (MariaDB) or
``max_execution_time`` (MySQL) and an unbuffered cursor; SQLite is opened with
``PRAGMA query_only``. Oracle (``oracle+oracledb``, thin mode), SQL Server (``mssql+pymssql``,
or ``mssql+pyodbc`` with Microsoft's ODBC driver) and DM (``dm+dmPython``) work through their
SQLAlchemy dialects, installed as the ``oracle`` / ``sqlserver`` / ``dm`` extras: Oracle and SQL
Server get the driver's timeout (``call_timeout`` / ``timeout``); all three rely on the HIS
account's read-only grants. Each family's URL, driver and SQL: docs/his-databases.md.
Driver errors become ``SourceQueryError`` (the query is wrong: names file and column) or
``SourceUnavailable`` (retry later).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from hisbridge.errors import HisbridgeError, TargetUnavailable, Terminal
from hisbridge.sources.his_databases import lenient_pg_version, prepare_dm_dialect, with_driver
from hisbridge.store.engine import SQLITE_CACHED_STATEMENTS

__all__ = ["SourceQueryError", "SourceUnavailable", "open_source", "stream_rows"]

_COLUMN_PATTERNS = (
    re.compile(r"no such column: ([\w.]+)"),
    re.compile(r'column "?([\w.]+)"? does not exist'),
    re.compile(r"Unknown column '([\w.]+)'"),
    re.compile(r'((?:"?\w+"?\.)?"?\w+"?): invalid identifier'),  # Oracle: "N"."COL": invalid…
    re.compile(r"invalid column name \[?'?([\w.]+)", re.I),  # SQL Server 'x', DM [X]
    re.compile(r"无效的列名\[([\w.]+)\]"),  # DM in Chinese
)


class SourceUnavailable(TargetUnavailable):
    """The HIS database could not be reached or timed out; try again later."""


class SourceQueryError(Terminal):
    """A mapping's query is wrong (syntax, missing table or column); fix the SQL file."""

    def __init__(self, message: str, *, path: Path | None = None, column: str | None = None,
                 hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.column = column


def open_source(url: str, *, statement_timeout_s: float = 60.0) -> Engine:
    """An engine on the HIS whose sessions are read-only and time-limited."""
    parsed = with_driver(make_url(url))
    backend = parsed.get_backend_name()
    ms = int(statement_timeout_s * 1000)
    if backend == "dm":
        prepare_dm_dialect()
    engine = create_engine(parsed, pool_pre_ping=backend != "sqlite",
                           connect_args=_connect_args(parsed, ms))
    hook = _session_hook(parsed, ms)
    if hook is not None:
        event.listen(engine, "connect", hook)
    if backend == "postgresql":
        lenient_pg_version(engine)
    return engine


def _connect_args(url: URL, ms: int) -> dict[str, Any]:
    backend = url.get_backend_name()
    if backend == "postgresql":  # also KingbaseES and openGauss
        return {"options": f"-c default_transaction_read_only=on -c statement_timeout={ms}"}
    if backend == "sqlite":
        return {"cached_statements": SQLITE_CACHED_STATEMENTS}
    if url.drivername == "mssql+pymssql":  # its query timeout, in seconds
        return {"timeout": max(1, ms // 1000)}
    return {}


def _session_hook(url: URL, ms: int) -> Callable[[Any, Any], None] | None:
    """What each new DB-API connection runs first; PostgreSQL's is in its connect options."""
    hooks: dict[str, Callable[[Any, Any], None]] = {
        "sqlite": _sqlite_read_only,
        "mysql": lambda conn, _rec: _mysql_session(conn, ms),
        "mariadb": lambda conn, _rec: _mysql_session(conn, ms),
        "oracle": lambda conn, _rec: setattr(conn, "call_timeout", ms),  # per round trip, ms
        "mssql+pymssql": _mssql_session,
        "mssql+pyodbc": lambda conn, _rec: setattr(conn, "timeout", max(1, ms // 1000)),  # s
    }
    return hooks.get(url.drivername) or hooks.get(url.get_backend_name())


def _sqlite_read_only(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def _mysql_session(dbapi_conn: Any, ms: int) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("SET SESSION TRANSACTION READ ONLY")
    try:
        cursor.execute(f"SET SESSION max_statement_time = {ms / 1000:.3f}")  # MariaDB
    except Exception:
        cursor.execute(f"SET SESSION max_execution_time = {ms}")
    cursor.close()


def _mssql_session(dbapi_conn: Any, _record: Any) -> None:
    # pymssql sends datetimes as 'yyyy-mm-dd hh:mm:ss.fff' text, which a `datetime` column reads
    # by the login's DATEFORMAT: a British or French login would swap month and day
    cursor = dbapi_conn.cursor()
    cursor.execute("SET DATEFORMAT ymd")
    cursor.close()


def bind_time(engine: Engine, value: datetime) -> Any:
    """SQLite keeps timestamps as text: bind the same text so comparisons hold."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if engine.dialect.name == "sqlite" else value


def stream_rows(engine: Engine, sql: str, params: Mapping[str, Any], *, fetch_size: int = 2000,
                path: Path | None = None) -> Generator[list[dict[str, Any]], None, None]:
    """Pages of rows (column -> value) without loading the whole result."""
    bound = {k: bind_time(engine, v) if isinstance(v, datetime) else v for k, v in params.items()}
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, max_row_buffer=fetch_size
                                            ).execute(text(sql), bound)
            for page in result.mappings().partitions(fetch_size):
                yield [dict(row) for row in page]
    except SQLAlchemyError as exc:
        raise translate(exc, path) from exc


def translate(exc: SQLAlchemyError, path: Path | None) -> HisbridgeError:
    """A driver error as ours: a wrong query names the file and the column."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return SourceUnavailable(f"HIS 数据库连接中断 connection lost: {detail}")
    lowered = detail.lower()
    if any(s in lowered for s in ("timeout", "timed out", "canceling statement",
                                  "max_statement_time", "could not connect", "connection refused",
                                  "can't connect", "unable to open database",
                                  "cannot connect", "connection failure")):  # Oracle, DM
        return SourceUnavailable(f"HIS 数据库不可用或超时 unavailable or timed out: {detail}",
                                 hint="检查网络、账号和 his.statement_timeout_s")
    column = next((m.group(1).replace('"', "") for p in _COLUMN_PATTERNS
                   if (m := p.search(detail))), None)
    where = f"{path}: " if path else ""
    said = f"（列 column: {column}）" if column else ""
    return SourceQueryError(f"{where}映射 SQL 执行失败 mapping query failed{said}: {detail}",
                            path=path, column=column,
                            hint="核对 SQL 语法与 HIS 的表名、列名；hisbridge check 可逐个检查")


