"""`hisbridge report acceptance` without a HIS: the store's own figures, the period checked, and
a PDF asked for where WeasyPrint cannot load (the HTML is written and named instead)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hisbridge import _json
from hisbridge.cli import _register, app
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.testing import sample_record

if not any(group.name == "report" for group in app.registered_groups):
    _register()
runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(store)
    upgrade(engine)
    StoreIntake(engine).accept("emr_patient_info", [
        sample_record("emr_patient_info", f"p{i}", serial=i) for i in range(3)])
    engine.dispose()
    path = tmp_path / "hisbridge.yaml"
    path.write_text(f"store:\n  url: {store}\nfrontend:\n  org_code: '440100099'\n"
                    "  org_name: 测试医院\n", "utf-8")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["report", "acceptance", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_store_only_report_as_json_and_html(config: Path, tmp_path: Path) -> None:
    from hisbridge._clock import CHINA_TZ, system_clock

    today = system_clock.now().astimezone(CHINA_TZ).date().isoformat()
    out = tmp_path / "r.html"
    code, text = _run("-c", str(config), "--from", today, "--to", today, "--out", str(out), "--json")
    assert code == 0, text
    found = _json.loads(text)
    assert not found["his_checked"] and found["org_code"] == "440100099" and found["file"] == str(out)
    (line,) = found["completeness"]
    assert (line["table"], line["his_keys"], line["accepted"], line["in_flight"]) == (
        "emr_patient_info", None, 3, 3)
    assert "未连接 HIS" in out.read_text("utf-8") and "测试医院" in out.read_text("utf-8")


def test_a_reversed_period_is_refused_with_the_reason(config: Path) -> None:
    result = runner.invoke(app, ["report", "acceptance", "-c", str(config), "--from", "2026-03-02",
                                 "--to", "2026-03-01"])
    assert result.exit_code != 0 and "--to" in str(result.exception)


def test_pdf_without_weasyprint_writes_the_html_and_says_so(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    out = tmp_path / "r.pdf"
    result = runner.invoke(app, ["report", "acceptance", "-c", str(config), "--from", "2026-03-01",
                                 "--to", "2026-03-01", "--format", "pdf", "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()
    assert (tmp_path / "r.html").exists()
    message = str(result.exception)
    assert "WeasyPrint" in message and "打印" in message and str(tmp_path / "r.html") in message
