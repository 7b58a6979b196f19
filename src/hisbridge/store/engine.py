"""Engines for the gateway's store: SQLite with WAL and sane pragmas, or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError

from hisbridge._files import touch_private
from hisbridge.errors import StoreUnreachable
from hisbridge.store.errors import translate_error

__all__ = ["SQLITE_CACHED_STATEMENTS", "is_postgres", "is_sqlite", "make_engine", "sqlite_file",
           "unreachable"]

_HINT = ("检查 store.url（或 HISBRIDGE_STORE__URL）、数据库是否在运行、账号与网络 / check the URL, "
         "that the database is running and accepts this account, and the network or file path")

# Prepared statements each pooled SQLite connection keeps (Python's default is 128). Statements
# whose text varies with the data (``IN (?, ?, …)`` with one placeholder per id) fill that cache
# with near-duplicates of ~16 KiB and more each; in the soak this was most of SQLite's growth
# (statements 5 → 7.5 MiB in two minutes while cached pages stayed at 4 MiB). The hot statements
# are reused often enough to stay in a small LRU cache.
SQLITE_CACHED_STATEMENTS = 32


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _masked(url: Any) -> str:
    return str(make_url(url).render_as_string(hide_password=True))


def _mark_connect_failure(context: ExceptionContext) -> None:
    """A failure while connecting (no connection yet) carries the masked URL it was for."""
    failed = context.sqlalchemy_exception
    if context.connection is None and context.engine is not None and failed is not None:
        failed.hisbridge_store = _masked(context.engine.url)  # type: ignore[attr-defined]


def unreachable(exc: BaseException) -> StoreUnreachable | None:
    """The StoreUnreachable that ``exc`` (or one of its causes) stands for, if any."""
    seen: BaseException | None = exc
    while seen is not None:
        store = getattr(seen, "hisbridge_store", None)
        if store is not None:
            cause = str(getattr(seen, "orig", seen)).strip().splitlines() or ["?"]
            return StoreUnreachable(f"存储不可达 store unreachable: {store}: {cause[0][:300]}",
                                    hint=_HINT)
        seen = seen.__cause__ or seen.__context__
    return None


def _sqlite_file(url: str, path: Path) -> None:
    try:
        touch_private(path)
    except OSError as exc:
        raise StoreUnreachable(f"存储不可达 store unreachable: {url}: {exc.strerror}: {path}",
                               hint=_HINT) from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files are created private (0600, new folders 0700, and so
    their -wal/-shm too) and get WAL switched on. Connect failures carry the masked URL; driver
    errors later are translated (``store.errors``)."""
    try:
        engine = _engine(url, kwargs)
    except (ArgumentError, ImportError) as exc:
        scheme = url.split("://", 1)[0]
        raise StoreUnreachable(f"存储 URL 无效 invalid database URL {scheme}://…: {exc}",
                               hint=_HINT) from exc
    event.listen(engine, "handle_error", _mark_connect_failure)
    event.listen(engine, "handle_error", translate_error)
    return engine


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite ``url`` (None: not SQLite, in memory or a ``file:`` URI)."""
    parsed = make_url(url)
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _engine(url: str, kwargs: dict[str, Any]) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_file(url)
        if database is not None:
            _sqlite_file(url, database)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("cached_statements", SQLITE_CACHED_STATEMENTS)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
