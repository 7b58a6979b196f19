"""Clinical-edition diagnosis codes through ``disease_code=infectious_disease_icd10?``, as a
hospital engineer meets them: what reaches the front-end, and what ``sync once`` and
``reconcile`` say about the generalised and the dropped codes (nothing silent)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from hisbridge import _json
from hisbridge._clock import CHINA_TZ
from hisbridge.cli import _register, app
from hisbridge.project.example import write_example
from hisbridge.simulators.frontend import create_frontend_app
from hisbridge.simulators.his import build_day
from hisbridge.testing import serve_app

runner = CliRunner()
PROBES = {"QA0": "A15.000", "QA1": "J10.100", "QA2": "U07.100", "QA3": "B01.900",
          "QA4": "A15.000||J10.100", "QA5": "I10.x00"}


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_groups:
        _register()


def _add_probes(his_url: str) -> None:
    """Diagnoses with the probe codes on existing visits, stamped like their neighbours."""
    his = create_engine(his_url)
    with his.begin() as conn:
        rows = conn.execute(text(
            "SELECT visit_no, visit_class, doctor, diag_time, modify_time FROM diagnosis "
            "WHERE diag_type IN ('1', '2') AND del_flag = '0' ORDER BY diag_id LIMIT 6")).all()
        for (key, code), row in zip(PROBES.items(), rows, strict=True):
            conn.execute(text(
                "INSERT INTO diagnosis VALUES (:id, :v, :c, '1', :code, '诊断', '0', :d, :t, "
                "'0', :m)"), {"id": key, "v": row[0], "c": row[1], "code": code, "d": row[2],
                              "t": row[3], "m": row[4]})
    his.dispose()


def test_codes_are_generalised_or_dropped_and_every_command_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day: date = (datetime.now(CHINA_TZ) - timedelta(days=1)).date()
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    build_day(create_engine(his_url), day, "small", seed=5, reset=True)
    _add_probes(his_url)
    sim_db = f"sqlite:///{tmp_path / 'frontend.db'}"
    monkeypatch.setenv("HISBRIDGE_HIS__INITIAL_SINCE", f"{day.isoformat()}T00:00:00")
    with serve_app(create_frontend_app(store_url=sim_db)) as url:
        config = write_example(tmp_path / "p", his_url=his_url, frontend_url=url,
                               store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
        synced = runner.invoke(app, ["sync", "once", "-c", str(config), "--allow-held",
                                     "-t", "emr_patient_info", "-t", "emr_activity_info"])
        assert synced.exit_code == 0, synced.output
        args = ["reconcile", "-c", str(config), "--date", day.isoformat(),
                "-t", "emr_activity_info"]
        shown = runner.invoke(app, args)
        as_json = runner.invoke(app, [*args, "--json"])

    sim = create_engine(sim_db)
    with sim.connect() as conn:
        sent = dict(conn.execute(text(
            "SELECT id, disease_code FROM emr_activity_info WHERE id LIKE 'QA%'")).all())
    sim.dispose()
    assert sent == {"QA0": "A15.0", "QA1": "J10", "QA2": "U07.10", "QA3": "B01.90",
                    "QA4": "A15.0||J10", "QA5": None}

    assert "泛化 generalised A15.000 → A15.0 ×2" in synced.output
    assert shown.exit_code == 0, shown.output
    assert "I10.x00" in shown.output or "more codes dropped" in shown.output
    assert "泛化 generalised J10.100 → J10" in shown.output
    codes = _json.loads(as_json.output.strip().splitlines()[-1])["tables"][0]["codes"]
    found = {(c["outcome"], c["code"], c["sent"]) for c in codes}
    assert ("dropped", "I10.x00", None) in found
    assert {("generalised", "A15.000", "A15.0"), ("generalised", "J10.100", "J10"),
            ("generalised", "U07.100", "U07.10"), ("generalised", "B01.900", "B01.90")} <= found
    i10 = next(c for c in codes if c["code"] == "I10.x00")
    assert i10["code_set"] == "infectious_disease_icd10" and i10["count"] >= 1
