"""``hisbridge check`` names the record and says the reason in Chinese and English on every
line, and the hint for a missing ID number says which ID-type code to send instead."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.project.example import write_example
from hisbridge.simulators.his import build_day

runner = CliRunner()
if not app.registered_groups:
    _register()


def test_check_lines_carry_the_key_and_both_languages(tmp_path: Path) -> None:
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = create_engine(his_url)
    build_day(his, date.today() - timedelta(days=1), "small", seed=2, reset=True)
    with his.begin() as conn:
        patient, visit = conn.execute(text(
            "SELECT patient_id, visit_no FROM clinic_master ORDER BY visit_no LIMIT 1")).one()
        conn.execute(text("UPDATE pat_master_index SET id_type = '01', id_no = NULL "
                          "WHERE patient_id = :p"), {"p": patient})
    his.dispose()
    config = write_example(tmp_path / "p", his_url=his_url, frontend_url="http://127.0.0.1:9",
                           store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
    result = runner.invoke(app, ["check", "-c", str(config), "--table", "emr_patient_info",
                                 "--limit", "1000"], env={"COLUMNS": "100"})
    lines = [x for x in result.output.splitlines() if x.startswith(("  拒收", "  警告"))]
    assert result.exit_code == 1 and lines
    for line in lines:
        assert " / " in line and "(id: " in line and line.isprintable()
    missing = next(x for x in lines if "id_card（" in x and "[required]" in x)
    assert visit in missing
    assert "99" in missing and "护照" in missing and "passport" in missing
    assert "provide a value in the mapping" not in result.output


def test_init_ends_with_the_next_steps(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--his-url",
                                 f"sqlite:///{tmp_path / 'his.sqlite'}"], env={"COLUMNS": "300"})
    config = tmp_path / "p" / "hisbridge.yaml"
    assert result.exit_code == 0, result.output
    out = result.output
    assert "http://127.0.0.1:8700" in out and "frontend.license" in out
    assert "gdhealth: 开启 on" in out and "front-end: 开启 on" in out
    assert f"hisbridge user add admin --role admin -c {config}" in out
    assert f"hisbridge run -c {config}" in out
