"""Do-not-send rules: which rows a rule keeps back (pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hisbridge.errors import ConfigError
from hisbridge.mapping.exclusions import ExcludeRule, load_exclusions

RULES = load_exclusions([
    ExcludeRule(name="军人身份", column="identity_code", values=["15", "20"],
                prefixes=["1801", "0103"]),
    ExcludeRule(name="指定患者", column="id", values=["MZ1"], tables=["emr_patient_info"]),
], Path("."))


@pytest.mark.parametrize(("table", "row", "record", "rule"), [
    ("emr_patient_info", {"identity_code": "15"}, {"id": "MZ9"}, "军人身份"),
    ("emr_patient_info", {"identity_code": "180123"}, {"id": "MZ9"}, "军人身份"),
    ("emr_activity_info", {"identity_code": " 0103 "}, {"id": "D1"}, "军人身份"),
    ("emr_patient_info", {"identity_code": "150"}, {"id": "MZ9"}, None),   # exact values only
    ("emr_patient_info", {"identity_code": "1802"}, {"id": "MZ9"}, None),
    ("emr_patient_info", {"identity_code": ""}, {"id": "MZ9"}, None),
    ("emr_patient_info", {}, {"id": "MZ1"}, "指定患者"),
    ("emr_activity_info", {}, {"id": "MZ1"}, None),                       # rule limited to a table
    ("emr_patient_info", {"identity_code": None}, {}, None),
])
def test_rules(table: str, row: dict[str, Any], record: dict[str, Any], rule: str | None) -> None:
    assert RULES.match(table, row, record) == rule


def test_the_mapped_field_wins_and_lists_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text("patient_id\nP1\n\nP2\n", "utf-8")
    rules = load_exclusions([ExcludeRule(name="名单", column="patient_id",
                                         values_file=Path("ids.csv"))], tmp_path)
    assert rules.match("emr_ex_lab", {"patient_id": "x"}, {"patient_id": "P2"}) == "名单"
    assert rules.match("emr_ex_lab", {}, {"patient_id": "patient_id"}) is None  # header skipped
    assert rules.columns == {"patient_id"}
    with pytest.raises(ConfigError, match=r"missing\.csv"):
        load_exclusions([ExcludeRule(name="x", column="id", values_file=Path("missing.csv"))],
                        tmp_path)
