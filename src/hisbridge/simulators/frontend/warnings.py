"""The message query: the next page of warning messages for a secret key.

Single-consumer semantics, as the spec warns against multi-threaded polling: reading a page
and advancing the key's consumer cursor happen under the key's lock, so two concurrent
queries with the same key never receive the same message. A page starts after
``max(cursor, consumer cursor)``; ``nextCursor`` is the last seq returned. The consumer
cursor is stored before the page is returned, so a restart neither repeats nor skips a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hisbridge.simulators.frontend.secret_keys import IssuedKey, SecretKeys
from hisbridge.simulators.frontend.store import SimStore

__all__ = ["MessageQueryError", "next_page", "to_wire"]

_WIRE = (
    ("msgId", "msg_id"), ("seq", "seq"), ("type", "type"), ("level", "level"),
    ("title", "title"), ("content", "content"), ("patientId", "patient_id"),
    ("serialNumber", "serial_number"), ("orgCode", "org_code"), ("deptCode", "dept_code"),
    ("userId", "user_id"), ("createTime", "create_time"),
)
_MAX_LIMIT = 1000


class MessageQueryError(ValueError):
    """A query parameter is missing or malformed (errorCode 03)."""


def to_wire(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored message as the query returns it (camelCase fields)."""
    return {wire: (int(row[col]) if col == "seq" else row[col] or "") for wire, col in _WIRE}


def _int(query: Mapping[str, Any], name: str, default: int) -> int:
    value = query.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise MessageQueryError(f"{name} 应为整数 / must be an integer") from exc
    if number < 0:
        raise MessageQueryError(f"{name} 不能为负 / cannot be negative")
    return number


def _where(store: SimStore, query: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    ph = store.ph
    org = query.get("orgCode")
    if not org or not isinstance(org, str):
        raise MessageQueryError("orgCode 不能为空 / orgCode is required")
    where, params = [f"(org_code = {ph} OR org_code = '')"], [org]
    for wire, column, op in (("startTime", "create_time", ">="), ("endTime", "create_time", "<="),
                             ("deptCode", "dept_code", "="), ("userId", "user_id", "=")):
        value = query.get(wire)
        if value not in (None, ""):
            where.append(f"{column} {op} {ph}")
            params.append(str(value))
    return where, params


async def next_page(
    store: SimStore, keys: SecretKeys, key: IssuedKey, query: Mapping[str, Any],
    default_limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """The next page for ``key`` and the new cursor; advances the key's consumer cursor."""
    cursor = _int(query, "cursor", 0)
    limit = min(_int(query, "limit", default_limit) or default_limit, _MAX_LIMIT)
    where, params = _where(store, query)
    async with key.lock:
        start = max(cursor, key.consumed)
        sql = (f"SELECT * FROM sim_message WHERE seq > {store.ph} AND {' AND '.join(where)} "
               f"ORDER BY seq LIMIT {store.ph}")
        rows = store.query(sql, (start, *params, limit))
        next_cursor = int(rows[-1]["seq"]) if rows else start
        keys.advance(key, next_cursor)
    return [to_wire(r) for r in rows], next_cursor
