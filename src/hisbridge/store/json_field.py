"""One top-level string field of a stored JSON payload, as an indexable SQL expression.

``records.payload`` is the record as JSON text. The console finds records by patient id and
visit serial number, so those two fields have expression indexes (``store/schema/outbox.py``).
The same construct builds the index and the query, so the database always sees one expression
and can use its index:

- SQLite: ``json_extract(payload, '$.field') COLLATE NOCASE`` — the decoded value, compared
  like SQLite's ``LIKE`` always compared it here (ASCII letters in either case);
- PostgreSQL: ``substring(payload, '"field":"(…)"')`` — the value as the JSON text writes it
  (escapes kept), compared exactly as the former ``LIKE`` did. A regular expression rather
  than ``payload::json ->> 'field'`` because that cast fails the insert of any payload holding
  a ``\\u0000`` anywhere, and an index expression must never refuse a record.

``field_value`` turns a searched value into the form the index holds.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from hisbridge import _json

__all__ = ["PayloadField", "field_value"]

_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class PayloadField(ColumnElement[str]):
    """``payload``'s top-level string ``field`` (a snake_case name)."""

    inherit_cache = True
    type = String()
    _traverse_internals = [("payload", InternalTraversal.dp_clauseelement),  # noqa: RUF012
                           ("field", InternalTraversal.dp_string)]  # the statement cache's key

    def __init__(self, payload: ColumnElement[Any], field: str) -> None:
        if not _NAME.fullmatch(field):
            raise ValueError(f"not a field name: {field!r}")
        self.payload = payload
        self.field = field


@compiles(PayloadField)  # SQLite, and any other dialect asked to print the expression
@compiles(PayloadField, "sqlite")
def _sqlite(element: PayloadField, compiler: SQLCompiler, **kw: Any) -> str:
    payload = compiler.process(element.payload, **kw)
    return f"json_extract({payload}, '$.{element.field}') COLLATE NOCASE"


@compiles(PayloadField, "postgresql")
def _postgresql(element: PayloadField, compiler: SQLCompiler, **kw: Any) -> str:
    payload = compiler.process(element.payload, **kw)
    return f"""substring({payload}, '"{element.field}":"((?:[^"\\\\]|\\\\.)*)"')"""


def field_value(value: str, dialect: str) -> str:
    """``value`` as the index of ``dialect`` holds it (PostgreSQL: JSON-escaped)."""
    return _json.dumps_str(value)[1:-1] if dialect == "postgresql" else value
