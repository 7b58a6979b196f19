"""One top-level string field of a stored JSON payload, as an indexable SQL expression.

``records.payload`` is the record as JSON text. The console finds records by patient id and
visit serial number, so those two fields have expression indexes (``store/schema/outbox.py``).
The same construct builds the index and the query, so the database always sees one expression
and can use its index:

- SQLite: ``json_extract(payload, '$.field') COLLATE NOCASE`` — the decoded value, compared
  like SQLite's ``LIKE`` always compared it here (ASCII letters in either case);
- PostgreSQL: the JSON text after ``"field":"`` up to the next ``"`` (``strpos``, ``substr``,
  ``split_part``: about 2 µs a row where a regular expression costs 7, and ``payload::json ->>``
  would fail the insert of any payload holding a ``\\u0000``: an index must never refuse a
  record).
  A value holding an escaped quote is cut there, so the index narrows the search to a few rows
  and ``LIKE '%"field":"value"%'`` (what the search did before, by a scan) decides among them.

``field_is`` builds that comparison for either dialect.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, and_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from hisbridge import _json

__all__ = ["PayloadField", "field_is", "like_pair"]

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
    key = f'"{element.field}":"'
    return f"split_part(substr({payload}, strpos({payload}, '{key}') + {len(key)}), '\"', 1)"


def like_pair(field: str, value: str) -> str:
    """The LIKE pattern for ``"field":"value"`` in orjson text, with LIKE's wildcards escaped."""
    text = _json.dumps_str({field: value})[1:-1]
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def field_is(payload: ColumnElement[str], field: str, value: str,
             dialect: str) -> ColumnElement[bool]:
    """``payload``'s top-level string ``field`` is ``value``, through ``PayloadField``'s index."""
    if dialect != "postgresql":  # SQLite's json_extract ends a string at a NUL: scan then
        return (PayloadField(payload, field) == value if "\x00" not in value
                else payload.like(like_pair(field, value), escape="\\"))
    cut = _json.dumps_str(value)[1:-1].split('"')[0]  # as the index holds it
    return and_(PayloadField(payload, field) == cut,
                payload.like(like_pair(field, value), escape="\\"))
