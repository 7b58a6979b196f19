"""Hypothesis strategies for hostile request bodies, shared by the fuzz tests.

Bodies are bytes: random JSON of any shape, records with real field names and wrong-typed or
SQL-looking values, raw binary, GBK-encoded text, invalid UTF-8 and deeply nested arrays and
objects (past every parser's depth limit). The 10 MB strings are explicit cases in the tests
(generating them through hypothesis would only be slow).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from hisbridge.dictionary import load_dictionary

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

SQL_LOOKING = ["'; DROP TABLE outbox; --", "1 OR 1=1", "\" OR \"\"=\"", "%' UNION SELECT *--",
               "患者'); DELETE FROM records;--", "\\x00\\", "${jndi:ldap://127.0.0.1/a}",
               "<script>alert(1)</script>", "../../etc/passwd", "2026-13-45 25:61:61"]
FIELDS = sorted({f.name for t in load_dictionary().tables for f in t.fields} |
                {f.camel for t in load_dictionary().tables for f in t.fields})

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=40), st.sampled_from(SQL_LOOKING))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.one_of(st.text(max_size=10), st.sampled_from(FIELDS)), inner, max_size=6),
    max_leaves=24)
records = st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1, max_size=12)
shapes = st.one_of(records, st.lists(records, max_size=4),
                   st.fixed_dictionaries({"op": st.sampled_from(["upsert", "delete", "x", 1]),
                                          "records": st.one_of(st.lists(records, max_size=3),
                                                               json_values)}))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _deep(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


bodies = st.one_of(
    json_values.map(_dumps),
    shapes.map(_dumps),
    st.binary(max_size=400),
    st.text(max_size=120).map(lambda s: s.encode("gbk", errors="ignore")),
    shapes.map(lambda v: json.dumps(v, ensure_ascii=False).encode("gbk", errors="ignore")),
    st.binary(min_size=1, max_size=40).map(lambda b: b'{"id": "' + b"\xff\xfe" + b + b'"}'),
    st.tuples(st.integers(1, 3000), st.sampled_from(["array", "object"])).map(
        lambda t: _deep(*t)),
)

BIG = 10 * 1024 * 1024


def ten_megabyte_record(key: str = "id") -> bytes:
    """One record whose value is a 10 MB string."""
    return _dumps({key: "r1", "name": "张" * (BIG // 3)})
