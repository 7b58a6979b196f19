"""The store's driver errors, translated once at the boundary.

``make_engine`` installs :func:`translate_error` as the engine's ``handle_error`` hook, so every
statement run on a store engine raises one of ours (``raise … from`` the driver's error):

- the connection was lost, refused or timed out (``OperationalError``, ``InterfaceError``, the
  pool's ``TimeoutError``, any ``DBAPIError`` whose connection was invalidated): the Transient
  :class:`StoreUnavailable`; a failure while connecting at all stays ``StoreUnreachable``'s
  concern (``store.engine.unreachable``, the CLI's one line, exit 2);
- a constraint refused the row (``IntegrityError``): the Terminal :class:`StoreIntegrityError`.

Anything else (a programming error in our SQL) is left as the driver raised it. Messages carry
the masked URL (never a password) and the driver's first line.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import ExceptionContext, make_url

from hisbridge.errors import StoreUnreachable, Terminal

__all__ = ["INTEGRITY_ERRORS", "STORE_ERRORS", "STORE_OUTAGES", "StoreIntegrityError", "StoreUnavailable",
           "driver_error", "translate_error"]

_HINT = "数据库重启、网络中断或连接池耗尽，稍后重试 / the store restarted, the network dropped or " \
        "the pool is exhausted: retry later"


class StoreUnavailable(StoreUnreachable):
    """The store was reached but the connection was lost or timed out: retry later.
    ``driver_error`` is SQLAlchemy's error it stands for (``__cause__`` is the DBAPI's)."""

    def __init__(self, message: str, *, hint: str = "",
                 driver_error: Exception | None = None) -> None:
        super().__init__(message, hint=hint)
        self.driver_error = driver_error


class StoreIntegrityError(Terminal):
    """A constraint of the store refused the row (duplicate key, missing parent, NOT NULL).
    ``driver_error`` is SQLAlchemy's error it stands for (``__cause__`` is the DBAPI's)."""

    def __init__(self, message: str, *, driver_error: Exception | None = None) -> None:
        super().__init__(message)
        self.driver_error = driver_error


def driver_error(exc: BaseException) -> BaseException:
    """The driver's error a translated store error stands for (else ``exc`` itself): for code
    that reports the database's own words, as it did before the translation."""
    if isinstance(exc, (StoreUnavailable, StoreIntegrityError)) and exc.driver_error is not None:
        return exc.driver_error
    return exc


# Driver errors that mean "not now" rather than "wrong" (also raised by engines not built by
# ``make_engine``, so the web app answers them alike).
STORE_OUTAGES: tuple[type[Exception], ...] = (
    StoreUnavailable, sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


# A constraint refused the row: ours from a store engine, the driver's from any other engine.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (StoreIntegrityError, sa_exc.IntegrityError)


# Whatever a store call may raise about the store: ours, and the driver's untranslated ones
# (programming errors, and every error of an engine not built by ``make_engine``).
STORE_ERRORS: tuple[type[Exception], ...] = (
    StoreUnavailable, StoreIntegrityError, sa_exc.SQLAlchemyError)


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"]
    return lines[0][:300]


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))


def translate_error(context: ExceptionContext) -> BaseException | None:
    """The ``handle_error`` hook: our error for the driver's, or None to leave it as it is.

    Pre-ping failures are left to the pool (it reconnects); failures while connecting (no
    connection yet) are left to ``store.engine.unreachable`` so the CLI says it in one line."""
    failed = context.sqlalchemy_exception
    if failed is None or context.is_pre_ping or context.connection is None:
        return None
    where = str(make_url(context.engine.url).render_as_string(hide_password=True)) \
        if context.engine is not None else "store"
    if isinstance(failed, sa_exc.IntegrityError):
        return StoreIntegrityError(f"存储约束拒绝 store constraint refused the row: {where}: "
                                   f"{_first_line(failed)}", driver_error=failed)
    if _is_outage(failed):
        return StoreUnavailable(f"存储暂不可用 store unavailable: {where}: {_first_line(failed)}",
                                hint=_HINT, driver_error=failed)
    return None
