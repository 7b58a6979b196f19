"""What a hospital engineer types: init, simulate his, check — and what check says when a
mapping is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.store.engine import make_engine

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_groups:
        _register()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    his = f"sqlite:///{tmp_path / 'his.sqlite'}"
    made = runner.invoke(app, ["init", str(tmp_path / "p"), "--his-url", his,
                               "--frontend-url", "http://127.0.0.1:9"])
    assert made.exit_code == 0, made.output
    built = runner.invoke(app, ["simulate", "his", "--db", his, "--date", "2026-03-02",
                                "--scale", "small", "--seed", "2"])
    assert built.exit_code == 0, built.output
    assert "clinic_master" in built.output and "200" in built.output
    return tmp_path / "p"


def test_check_reports_readiness_and_exports_lab_items(project: Path) -> None:
    out = project / "lab_items.csv"
    result = runner.invoke(app, ["check", "-c", str(project / "hisbridge.yaml"),
                                 "--limit", "50", "--lab-items", str(out)])
    assert "✓ HIS his: ok" in result.output and "✓ store: ok" in result.output
    assert "✗ front-end" in result.output          # nothing listens on port 9
    assert "✗ gdhealth" in result.output and "gdhealth.org_name" in result.output  # no name set
    assert result.exit_code == 1 and "nothing was sent" in result.output
    assert "emr_order_item" in result.output and "拒收" not in result.output
    lines = out.read_text("utf-8-sig").splitlines()
    assert lines[0] == "item_code,item_name,unit,count" and any("FLUA" in x for x in lines)
    (project / "mapped.csv").write_text("item_code\nFLUA\nWBC\n", "utf-8")
    config = project / "hisbridge.yaml"
    config.write_text(config.read_text("utf-8").replace(
        "strict_codes:", "lab_items_mapped: mapped.csv\n  strict_codes:"), "utf-8")
    again = runner.invoke(app, ["check", "-c", str(config), "--table", "base_dept", "--lab-items",
                        str(out)])
    assert again.exit_code == 1
    codes = {line.split(",")[0] for line in out.read_text("utf-8-sig").splitlines()[1:]}
    assert codes == {x.split(",")[0] for x in lines[1:]} - {"FLUA", "WBC"} and "FLUB" in codes


@pytest.mark.parametrize(("edit", "expected"), [
    (("i.dosage AS drug_dosage_code", "i.dosage_amount AS drug_dosage_code"), "dosage_amount"),
    (("FROM presc_detail i", "FROM presc_detail i WHERE WHERE"), "syntax"),
    (("i.dosage AS drug_dosage_code", "i.dosage AS dosage_per_time"), "dosage_per_time"),
    (("m.modify_time AS updated_at", "m.modify_time AS changed_at"), "updated_at"),
])
def test_check_names_the_file_and_the_column(project: Path, edit: tuple[str, str],
                                             expected: str) -> None:
    path = project / "mappings" / "16_emr_order_item.sql"
    path.write_text(path.read_text("utf-8").replace(*edit), "utf-8")
    result = runner.invoke(app, ["check", "-c", str(project / "hisbridge.yaml"),
                                 "--table", "emr_order_item"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "16_emr_order_item.sql" in text and expected in text


def test_check_refuses_a_broken_header_with_the_file(project: Path) -> None:
    path = project / "mappings" / "20_base_dept.sql"
    path.write_text(path.read_text("utf-8").replace("-- table: base_dept", "-- table: dept"),
                    "utf-8")
    result = runner.invoke(app, ["check", "-c", str(project / "hisbridge.yaml")])
    assert result.exit_code != 0
    assert "20_base_dept.sql" in str(result.exception) + result.output


def test_check_says_what_would_be_rejected_and_why(project: Path) -> None:
    config = project / "hisbridge.yaml"
    config.write_text(config.read_text("utf-8").replace("mode: lenient", "mode: strict"), "utf-8")
    gender = project / "codemaps" / "gender.csv"
    gender.write_text("hospital_code,standard_code,standard_label\n男,1,男\n", "utf-8")  # 女 gone
    result = runner.invoke(app, ["check", "-c", str(config), "--table", "emr_patient_info"])
    text = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "拒收" in text and "gender_code（性别）[code_set]" in text
    assert "未对照" in text and "gender_code (gender) = 女" in text


def _clinical_edition(project: Path) -> None:
    """Recode two diagnoses in the national clinical edition, as hospitals code them."""
    engine = make_engine(f"sqlite:///{project.parent / 'his.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE diagnosis SET diag_code = 'A15.000' WHERE diag_code = 'A15.0'"))
        conn.execute(text("UPDATE diagnosis SET diag_code = 'J10.100' WHERE diag_code = 'J10'"))
    engine.dispose()


def test_check_counts_dropped_and_generalised_codes(project: Path) -> None:
    """Codes an optional map leaves out are counted with the code map to extend; codes
    generalised to the front-end's granularity are counted as warnings."""
    _clinical_edition(project)
    result = runner.invoke(app, ["check", "-c", str(project / "hisbridge.yaml"),
                                 "--table", "emr_activity_info", "--limit", "2000"])
    out = " ".join(result.output.split())
    codemap = str(project / "codemaps" / "infectious_disease_icd10.csv")
    dropped = re.findall(r"警告 (\d+)× 可选代码映射丢弃 dropped disease_code = (\S+) → (\S+)", out)
    assert len(dropped) == 10 and all(int(n) > 0 for n, _, _ in dropped)
    assert {path for _, _, path in dropped} == {codemap}
    assert "codes in all" in out
    assert "诊断代码泛化 generalised disease_code (infectious_disease_icd10) A15.000 → A15.0" in out


def test_check_warns_that_a_0_1_0_mapping_is_exclusive(project: Path) -> None:
    """A mapping written for 0.1.0 (``> :since``) still runs, with a warning."""
    path = project / "mappings" / "20_base_dept.sql"
    path.write_text(path.read_text("utf-8").replace(">= :since", "> :since"), "utf-8")
    result = runner.invoke(app, ["check", "-c", str(project / "hisbridge.yaml"),
                                 "--table", "base_dept"])
    assert "rows stamped exactly at the watermark are skipped" in result.output.replace("\n", " ")
    assert "拒收" not in result.output  # it still runs: a warning, not a refusal


def test_check_says_warnings_need_the_front_end_licence(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """init leaves frontend.license empty; ``check`` says what that costs (the poller of
    ``run`` would fail every few seconds and the widget would stay empty) — not blocking."""
    config = str(project / "hisbridge.yaml")
    shown = runner.invoke(app, ["check", "-c", config, "--table", "base_dept"])
    assert "frontend.license" in shown.output and "预警消息读不到" in shown.output
    monkeypatch.setenv("HISBRIDGE_FRONTEND__LICENSE", "SIM-LICENSE-0001")
    licensed = runner.invoke(app, ["check", "-c", config, "--table", "base_dept"])
    assert "frontend.license" not in licensed.output


def test_simulate_his_group_builds_a_county_groups_his(tmp_path: Path) -> None:
    his = f"sqlite:///{tmp_path / 'group.sqlite'}"
    built = runner.invoke(app, ["simulate", "his", "--db", his, "--date", "2026-03-02",
                                "--scale", "small", "--group"])
    assert built.exit_code == 0, built.output
    assert "staff_org" in built.output and "org_dict" in built.output
    engine = make_engine(his)
    with engine.connect() as conn:
        orgs = conn.execute(text("SELECT COUNT(DISTINCT org_code) FROM dept_dict")).scalar_one()
    engine.dispose()
    assert orgs == 4
