"""hisbridge's errors: one root, two verdicts.

Every exception class the product defines is in this tree (``tests/unit/test_error_tree.py``
walks the package and checks it against this drawing); the module a class lives in is named
when it is not this one.

    HisbridgeError
    ├── Transient                retry later (refused, timeout, HTTP 5xx, errorCode 01/99)
    │   ├── TargetUnavailable    the receiver could not be reached at all
    │   │   └── SourceUnavailable    (sources.sql_session) the HIS database is down or timed out
    │   ├── FrontendBusy         (connectors.frontend.errors) the front-end asked us to wait
    │   ├── SecretKeyRejected    (connectors.frontend.keys) the key expired: fetch a new one
    │   ├── PlatformUnavailable  (sharing.consent.platform_errors) the provincial platform is down
    │   ├── LeaseLost            (warnings.lease) another node took the poller's lease
    │   └── StoreUnreachable     a database (the store) cannot be opened; URL masked, cause, hint
    │       └── StoreUnavailable (store.errors) the store's connection was lost or timed out
    └── Terminal                 never retry: dead-letter or answer with the reason
        ├── RecordRejected       the receiver said no (errorCode 02-05, HTTP 4xx)
        ├── ValidationFailed     the record breaks the dictionary (carries the violations)
        ├── OperationRefused     the operation is not allowed (deleting a base_dept row)
        │   ├── NotAddressee     (warnings.addressee) the warning is not this user's
        │   └── TransitionRefused    (sharing.consent.states) no such consent transition
        ├── ConfigError          a setting is missing or wrong; says where it was looked for
        │   └── NotConfigured    (web.console.common) a page's component is not installed
        ├── SpecError            asking the dictionary for something it does not hold
        │   ├── UnknownTable
        │   └── UnknownField
        ├── StoreIntegrityError  (store.errors) a store constraint refused the row
        ├── StoreNotCurrent      (store.migrate) the store's schema is older (or newer) than the code
        ├── SourceQueryError     (sources.sql_session) a mapping's SQL is wrong
        ├── LicenseRejected      (connectors.frontend.keys) the front-end refused the license
        ├── PlatformError        (sharing.consent.platform_errors) the provincial platform said no
        ├── ConsentProblem       (sharing.consent.errors) a consent request cannot be served
        ├── DuplicateOpen        (sharing.consent.repository) the encounter already has an open consent
        ├── ForeignEncounter     (sharing.consent.repository) the visit is another institution's
        ├── UserError            (ops.users) a console user cannot be added or changed so
        ├── OutOfScope           (ops.scope) another institution's entry or filter (404, logged)
        ├── Problem              (web.intake) a push request refused with its 4xx
        ├── SignatureError       (web.signing) a signed link was refused
        ├── Forbidden            (web.console.common) the role may not do this (403)
        └── CsrfRejected         (web.console.common) a form without the session's token (403)

Workers branch on Transient vs Terminal only. Third-party exceptions are translated at the
boundary with ``raise ... from exc`` (the store's driver errors by ``store.errors``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = [
    "ConfigError",
    "HisbridgeError",
    "OperationRefused",
    "RecordRejected",
    "SpecError",
    "StoreUnreachable",
    "TargetUnavailable",
    "Terminal",
    "Transient",
    "UnknownField",
    "UnknownTable",
    "ValidationFailed",
]


class HisbridgeError(Exception):
    """Root of every error hisbridge raises on purpose. ``hint`` tells the user what to do."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}（{self.hint}）" if self.hint else self.message


class Transient(HisbridgeError):
    """Retry later; the same request may well succeed."""

    def __init__(self, message: str, *, hint: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class TargetUnavailable(Transient):
    """The receiver could not be reached at all."""


class Terminal(HisbridgeError):
    """Retrying will not help; dead-letter with the reason."""


class RecordRejected(Terminal):
    """The receiver refused the record (business error code or HTTP 4xx)."""

    def __init__(self, message: str, *, code: str = "", reply: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.reply = reply


class Violation(Protocol):
    """What this module needs of a broken rule (``hisbridge.dictionary.Violation`` is one): errors.py
    sits below every other module and imports nothing of ours."""

    def summary(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


class ValidationFailed(Terminal):
    """The record breaks the dictionary; ``violations`` say where and how."""

    def __init__(self, table: str, violations: Sequence[Violation]) -> None:
        first = violations[0].summary() if violations else "invalid record"
        more = f" (+{len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"{table}: {first}{more}")
        self.table = table
        self.violations = list(violations)


class OperationRefused(Terminal):
    """The operation is not allowed by the spec."""


class ConfigError(Terminal):
    """A setting is missing or invalid."""


class StoreUnreachable(Transient):
    """A database hisbridge keeps its own data in could not be opened (connection or file).

    The base of every store outage: ``hisbridge.store.errors.StoreUnavailable`` (a connection
    lost or timed out mid-work) is one too, so one ``except StoreUnreachable`` covers both."""


class SpecError(Terminal):
    """The data dictionary does not hold what was asked for."""


class UnknownTable(SpecError):
    def __init__(self, table: str, known: Sequence[str] = ()) -> None:
        hint = "可用的表 / known tables: " + ", ".join(known) if known else ""
        super().__init__(f"未知的表 unknown table: {table!r}", hint=hint)
        self.table = table


class UnknownField(SpecError):
    def __init__(self, table: str, field: str) -> None:
        super().__init__(f"表 {table} 没有字段 {field!r} / no such field")
        self.table = table
        self.field = field
