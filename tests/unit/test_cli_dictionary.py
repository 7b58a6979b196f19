"""The `hisbridge dictionary` commands as a user runs them, and `spec`, their hidden old name."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.dictionary.docs import render_tables_markdown
from hisbridge.testing.documents import make_id_card, valid_record

_register()
runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_list_shows_twenty_tables() -> None:
    code, out = run("dictionary", "list")
    assert code == 0
    assert out.count("/hclient/emr/receive/") == 20 and "患者基本信息表" in out


def test_show_table() -> None:
    code, out = run("dictionary", "show", "emr_ex_lab_item")
    assert code == 0 and "examination_result_name" in out


def test_unknown_table_is_one_clear_line() -> None:
    code, out = run("dictionary", "show", "emr_nope")
    assert code != 0 and "Traceback" not in out


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_ddl(dialect: str) -> None:
    code, out = run("dictionary", "ddl", "--dialect", dialect)
    assert code == 0 and out.count("CREATE TABLE") == 20


def test_ddl_rejects_unknown_dialect() -> None:
    code, _ = run("dictionary", "ddl", "--dialect", "oracle")
    assert code == 2


def _write_jsonl(path: Path, records: list[object], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(encoding))
    return path


def test_validate_clean_file_exits_zero(tmp_path: Path) -> None:
    rng = random.Random(2)
    f = _write_jsonl(tmp_path / "p.jsonl", [valid_record("emr_patient_info", rng) for _ in range(5)])
    code, out = run("dictionary", "validate", str(f), "--table", "emr_patient_info", "--strict")
    assert code == 0 and "5 条记录" in out


def test_validate_reports_errors_masked_with_exit_one(tmp_path: Path) -> None:
    id_number = make_id_card(random.Random(9))
    bad = valid_record("emr_patient_info", id_card=id_number[:-1] + "0" if id_number[-1] != "0"
                       else id_number[:-1] + "1", operation_time="2026-13-01 00:00:00")
    f = _write_jsonl(tmp_path / "p.jsonl", [bad, "not an object"])
    code, out = run("dictionary", "validate", str(f), "--table", "emr_patient_info", "--strict", "--json")
    assert code == 1
    report = json.loads(out)
    rules = {(v["line"], v["field"], v["rule"]) for v in report["violations"]}
    assert (1, "operation_time", "datetime") in rules and (1, "id_card", "id_card") in rules
    assert any(v["line"] == 2 and v["rule"] == "not_an_object" for v in report["violations"])
    assert id_number[:-1] not in out


def test_validate_gbk_file_detected(tmp_path: Path) -> None:
    record = valid_record("base_dept", dept_name="感染性疾病科")
    f = _write_jsonl(tmp_path / "d.jsonl", [record], encoding="gbk")
    code, out = run("dictionary", "validate", str(f), "--table", "base_dept", "--json")
    assert code == 0 and json.loads(out)["encoding"] == "gb18030"


def test_validate_csv_and_broken_lines(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("dept_code,dept_name\nD01,内科\n,外科\nD03,儿科,extra\n", "utf-8")
    code, out = run("dictionary", "validate", str(f), "--table", "base_dept", "--json")
    report = json.loads(out)
    assert code == 1 and report["records"] == 3
    assert {(v["line"], v["rule"]) for v in report["violations"]} == {(3, "required"), (4, "not_an_object")}


def test_validate_invalid_json_and_bytes(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_bytes(b'{"id": 1\n\xff\xfe\x00garbage\n{"id": "ok"}\n')
    code, out = run("dictionary", "validate", str(f), "--table", "emr_order", "--encoding", "utf-8")
    assert code == 1 and "Traceback" not in out


def test_tables_doc_is_current() -> None:
    committed = (ROOT / "docs" / "tables.md").read_text("utf-8")
    assert committed == render_tables_markdown(), "run: hisbridge dictionary docs --out docs/tables.md"


@pytest.mark.parametrize("args", [("list",), ("codes", "gender"), ("show", "emr_patient_info"),
                                  ("ddl", "--dialect", "sqlite")])
def test_spec_is_a_working_hidden_alias(args: tuple[str, ...]) -> None:
    """Hospitals' scripts call ``hisbridge spec ...``: same output as ``dictionary``."""
    assert run("spec", *args) == run("dictionary", *args)
    assert run("dictionary", *args)[0] == 0


def test_spec_is_hidden_from_help() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert commands["spec"].hidden and not commands["dictionary"].hidden
