"""``hisbridge check`` makes what the mapping does to diagnosis codes visible: codes an
optional code map leaves out (with the code map file to extend), codes generalised to the
front-end's granularity, and 0.1.0 mappings that read ``> :since`` (exclusive)."""

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
    assert runner.invoke(app, ["init", str(tmp_path / "p"), "--his-url", his,
                               "--frontend-url", "http://127.0.0.1:9"]).exit_code == 0
    assert runner.invoke(app, ["simulate", "his", "--db", his, "--date", "2026-03-02",
                               "--scale", "small", "--seed", "2"]).exit_code == 0
    engine = make_engine(his)
    with engine.begin() as conn:  # the national clinical edition, as hospitals code
        conn.execute(text("UPDATE diagnosis SET diag_code = 'A15.000' WHERE diag_code = 'A15.0'"))
        conn.execute(text("UPDATE diagnosis SET diag_code = 'J10.100' WHERE diag_code = 'J10'"))
    engine.dispose()
    return tmp_path / "p"


def test_check_counts_dropped_and_generalised_codes(project: Path) -> None:
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
    path = project / "mappings" / "20_base_dept.sql"
    path.write_text(path.read_text("utf-8").replace(">= :since", "> :since"), "utf-8")
    result = runner.invoke(app, ["check", "-c", str(project / "hisbridge.yaml"),
                                 "--table", "base_dept"])
    assert "rows stamped exactly at the watermark are skipped" in result.output.replace("\n", " ")
    assert "拒收" not in result.output  # it still runs: a warning, not a refusal
