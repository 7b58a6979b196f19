"""Mapping file headers: what a hospital engineer writes, and the errors they get."""

from __future__ import annotations

from pathlib import Path

import pytest

from hisbridge.errors import ConfigError
from hisbridge.mapping.sqlfile import CodeRef, parse_mapping_text

_QUERY = "SELECT 1 AS id, 1 AS updated_at FROM t WHERE u > :since AND u <= :until ORDER BY u"


def _parse(header: str, query: str = _QUERY):  # type: ignore[no-untyped-def]
    return parse_mapping_text(header + "\n" + query, Path("m/x.sql"))


def test_full_header_with_continuation_lines() -> None:
    m = _parse("-- 说明: 患者信息\n-- table: emr_patient_info\n-- key: id\n"
               "-- watermark: updated_at\n-- delete_flag: deleted\n"
               "-- codes: gender_code=gender,\n--        nation_code=ethnicity?")
    assert m.table == "emr_patient_info"
    assert m.key == "id" and m.watermark == "updated_at" and m.delete_flag == "deleted"
    assert m.codes == (CodeRef("gender_code", "gender"), CodeRef("nation_code", "ethnicity", True))
    assert m.helper_columns == {"updated_at", "deleted"}


def test_camel_table_name_and_default_key() -> None:
    m = _parse("-- table: baseDept\n-- watermark: w")
    assert m.table == "base_dept" and m.key == "dept_code" and m.delete_flag is None


@pytest.mark.parametrize(("header", "query", "words"), [
    ("-- watermark: w", _QUERY, "-- table"),
    ("-- table: emr_patient_info", _QUERY, "-- watermark"),
    ("-- table: no_such_table\n-- watermark: w", _QUERY, "no_such_table"),
    ("-- table: emr_patient_info\n-- watermark: w\n-- key: nope", _QUERY, "nope"),
    ("-- table: base_dept\n-- watermark: w\n-- delete_flag: d", _QUERY, "cannot be deleted"),
    ("-- table: emr_patient_info\n-- watermark: w\n-- codes: sex=gender", _QUERY, "sex"),
    ("-- table: emr_patient_info\n-- watermark: w\n-- codes: gender_code=sexes", _QUERY, "sexes"),
    ("-- table: emr_patient_info\n-- watermark: w", "SELECT 1 WHERE u > :since", ":until"),
])
def test_mistakes_name_the_file_and_the_problem(header: str, query: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(header, query)
    assert "m/x.sql" in str(caught.value) and words in str(caught.value)


def test_header_stops_at_the_query() -> None:
    m = _parse("-- table: emr_patient_info\n-- watermark: w",
               "SELECT 1 -- key: bogus\nWHERE a > :since AND a <= :until")
    assert m.key == "id"


def test_double_colon_casts_are_not_parameters() -> None:
    with pytest.raises(ConfigError):
        _parse("-- table: emr_patient_info\n-- watermark: w", "SELECT x::since, y::until")


@pytest.mark.parametrize(("where", "exclusive"), [
    ("u > :since AND u <= :until", True),             # written for 0.1.0: still runs
    ("u >= :since AND u <= :until", False),
    ("u>:since AND u<=:until", True),
    ("u >=:since AND u <= :until", False),
    ("u BETWEEN :since AND :until", False),
    (":since < u AND u <= :until", True),
    (":since <= u AND u <= :until", False),
])
def test_an_exclusive_lower_bound_is_recognised(where: str, exclusive: bool) -> None:
    m = _parse("-- table: emr_patient_info\n-- watermark: w", f"SELECT 1 FROM t WHERE {where}")
    assert m.exclusive_since is exclusive
