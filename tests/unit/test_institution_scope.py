"""The one institution rule (``hisbridge.store.scope``) and how a user's scope is narrowed
(``hisbridge.ops.scope``): NULL rows are the default institution's, a filter never widens."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, insert, select

from hisbridge import _json
from hisbridge.ops.scope import OutOfScope, default_code, narrowed, within
from hisbridge.store.scope import EVERY_INSTITUTION, InstitutionScope

_rows = Table("rows", MetaData(), Column("id", String(8)), Column("institution", String(50)),
              Column("detail", Text))
STORED = [("n", None, "{}"), ("a", "A", _json.dumps_str({"orgCode": "A", "x": 1})),
          ("b", "B", _json.dumps_str({"orgCode": "B"})),
          ("b2", "B", _json.dumps_str({"orgCode": "B2"}))]  # B2 is not B: no prefix match


def _ids(scope: InstitutionScope, on_detail: bool = False) -> list[str]:
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            _rows.create(conn)
            conn.execute(insert(_rows), [dict(zip(("id", "institution", "detail"), r, strict=True))
                                         for r in STORED])
            where = scope.where_detail(_rows.c.detail) if on_detail else scope.where(_rows.c.institution)
            return sorted(conn.scalars(select(_rows.c.id).where(where)))
    finally:
        engine.dispose()


@pytest.mark.parametrize(("codes", "expected"), [
    (None, ["a", "b", "b2", "n"]),  # every institution
    ({"A"}, ["a", "n"]),  # A is the default: NULL rows are A's
    ({"B"}, ["b", "b2"]),
    (set(), []),
])
def test_where_on_the_institution_column(codes: set[str] | None, expected: list[str]) -> None:
    scope = InstitutionScope(frozenset(codes) if codes is not None else None, default="A")
    assert _ids(scope) == expected


@pytest.mark.parametrize(("codes", "expected"), [
    (None, ["a", "b", "b2", "n"]), ({"A"}, ["a", "n"]), ({"B"}, ["b"]), ({"B2"}, ["b2"])])
def test_where_on_the_audit_detail(codes: set[str] | None, expected: list[str]) -> None:
    scope = InstitutionScope(frozenset(codes) if codes is not None else None, default="A")
    assert _ids(scope, on_detail=True) == expected


def test_covers_and_owner() -> None:
    scope = InstitutionScope(frozenset({"A"}), "A")
    assert scope.covers(None) and scope.covers("A") and not scope.covers("B")
    assert scope.owner(None) == "A" and scope.owner("B") == "B"
    assert EVERY_INSTITUTION.covers("anything") and EVERY_INSTITUTION.everything


def test_a_filter_narrows_and_never_widens() -> None:
    assert narrowed((), "A").everything
    assert narrowed((), "A", "B").codes == {"B"}
    assert narrowed(("A", "B"), "A", "B").codes == {"B"}
    assert narrowed(("A",), "A").codes == {"A"}
    with pytest.raises(OutOfScope):
        narrowed(("A",), "A", "B")


def test_default_and_within() -> None:
    assert default_code(["A", "B"], "B") == "B"
    assert default_code(["A", "B"], "Z") == "A"  # the top level is not one of the group's
    assert default_code([], "Z") == "Z"
    assert within(["A"], ["A", "B"]) and within([], []) and within(["Z"], [])
    assert not within([], ["A"]) and not within(["A", "Z"], ["A"])
