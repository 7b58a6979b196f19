"""Which institutions' stored rows a reader may see: the one rule, as SQL, for every table.

A hospital group's gateway stores the institution (organisation code) on its rows:
``outbox.institution``, ``quarantine.institution``, ``warning_messages.institution``, the
consent tables' ``org_code`` and the audit entries' ``"orgCode"`` in their detail. A NULL (or,
in the audit log, no ``orgCode``) belongs to the *default* institution: the single institution
of a gateway configured without ``institutions``, and every row stored before groups existed.
``InstitutionScope.where(column)`` is the condition for any of those columns; every console
page and CLI command reads through it (``hisbridge.ops.scope`` builds the scope of a user).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from hisbridge import _json

__all__ = ["EVERY_INSTITUTION", "InstitutionScope"]


@dataclass(frozen=True, slots=True)
class InstitutionScope:
    """The institutions a reader may see (``codes``; None: every one) and the institution a
    row without one belongs to (``default``)."""

    codes: frozenset[str] | None = None
    default: str = ""

    @property
    def everything(self) -> bool:
        return self.codes is None

    def covers(self, code: str | None) -> bool:
        """May the reader see a row of institution ``code`` (None: the default's)?"""
        return self.codes is None or (code or self.default) in self.codes

    def owner(self, code: str | None) -> str:
        """The institution a stored value names: itself, or the default for NULL."""
        return code or self.default

    def where(self, column: Any) -> ColumnElement[bool]:
        """The condition on an institution column (``outbox.institution``, ``org_code``...)."""
        if self.codes is None:
            return true()
        named = column.in_(sorted(self.codes)) if self.codes else false()
        return or_(named, column.is_(None)) if self.default in self.codes else named

    def where_detail(self, detail: Any) -> ColumnElement[bool]:
        """The condition on an audit entry's JSON detail, which carries ``"orgCode"``."""
        if self.codes is None:
            return true()
        named = [detail.contains(_json.dumps_str({"orgCode": c})[1:-1], autoescape=True)
                 for c in sorted(self.codes)]
        if self.default in self.codes:
            named.append(~detail.contains('"orgCode":', autoescape=True))
        return or_(false(), *named)

    def where_record(self, table_name: Any, record_id: Any) -> ColumnElement[bool]:
        """A stored record (``records`` has no institution) is the institution's its outbox
        entries go to."""
        from hisbridge.store.schema.outbox import outbox

        if self.codes is None:
            return true()
        o = outbox.c
        return exists(select(o.id).where(and_(o.table_name == table_name, o.record_id == record_id,
                                              self.where(o.institution))))

    def as_json(self) -> list[str] | None:
        return sorted(self.codes) if self.codes is not None else None


EVERY_INSTITUTION = InstitutionScope()
