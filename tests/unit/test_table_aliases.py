"""The front-end's export spellings of two table names are accepted wherever a user gives a
table name (one alias table)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hisbridge import _json
from hisbridge.cli import _register, app
from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.testing import sample_record

runner = CliRunner()
if not app.registered_groups:
    _register()


@pytest.mark.parametrize(("given", "name"), [
    ("emr_adminssion_info", "emr_admission_info"),
    ("emrAdminssionInfo", "emr_admission_info"),
    ("emr_daily_coure", "emr_daily_course"),
    ("emrDailyCoure", "emr_daily_course"),
    ("emr_admission_info", "emr_admission_info"),
])
def test_alias_lookup(given: str, name: str) -> None:
    assert load_dictionary().table(given).name == name
    assert Validator().validate(given, {}) == Validator().validate(name, {})


def test_sync_file_accepts_the_export_spelling(tmp_path: Path) -> None:
    config = tmp_path / "hisbridge.yaml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'store.db'}\n", "utf-8")
    data = tmp_path / "emr_daily_coure.jsonl"
    data.write_text(_json.dumps_str(sample_record("emr_daily_course", "DC-1")) + "\n", "utf-8")
    result = runner.invoke(app, ["sync", "file", str(data), "--table", "emr_daily_coure",
                                 "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "accepted 1" in result.output
    shown = runner.invoke(app, ["dictionary", "show", "emr_adminssion_info", "--json"])
    assert shown.exit_code == 0 and "admission" in shown.output
