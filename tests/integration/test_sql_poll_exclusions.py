"""Do-not-send rules: a protected category (a HIS-only helper column) and a list of patient
ids keep patients back, with everything that belongs to them (activity, labs, lab items...);
reconcile counts them as excluded by rule, not missing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import yaml
from sqlalchemy import text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.sources.reconcile import reconcile_day
from hisbridge.sources.sql_poll import SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import records
from hisbridge.testing import ManualClock

DAY = date(2026, 3, 2)


def _setup(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, 200, seed=4)
    with his.begin() as conn:
        with_labs = [r[0] for r in conn.execute(text(
            "SELECT DISTINCT t.visit_no FROM lab_test_master t JOIN lab_result r"
            " ON r.test_no = t.test_no JOIN clinic_master c ON c.visit_no = t.visit_no"
            " ORDER BY t.visit_no LIMIT 4"))]
        military, listed = with_labs[:2], with_labs[2:]
        conn.execute(text("UPDATE pat_master_index SET occupation = '180101' WHERE patient_id IN"
                          " (SELECT patient_id FROM clinic_master WHERE visit_no IN (:a, :b))"),
                     {"a": military[0], "b": military[1]})
    config = write_example(tmp_path, his_url=url,
                           store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
    values = yaml.safe_load(config.read_text("utf-8"))
    values["his"]["exclude"] = [
        {"name": "军人身份", "column": "identity_code", "prefixes": ["1801"]},
        {"name": "指定患者", "column": "id", "tables": ["emr_patient_info"],
         "values_file": "excluded_patients.csv"}]
    config.write_text(yaml.safe_dump(values, allow_unicode=True), "utf-8")
    (tmp_path / "excluded_patients.csv").write_text("visit_no\n" + "\n".join(listed), "utf-8")
    patient_sql = tmp_path / "mappings" / "01_emr_patient_info.sql"
    patient_sql.write_text(patient_sql.read_text("utf-8").replace(
        "       p.phone AS tel,", "       p.phone AS tel,\n       p.occupation AS identity_code,"),
        "utf-8")
    return config, military, listed


def test_excluded_patients_and_their_records_are_never_sent(tmp_path: Path) -> None:
    config, military, listed = _setup(tmp_path)
    config = config
    settings = load_settings(config)
    project = open_project(config, settings)
    store = make_engine(settings.store.url)
    upgrade(store)
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    try:
        with SqlPoller(project, StoreIntake(store, clock=clock), store, clock=clock) as poller:
            reports = {r.table: r for r in poller.poll_all()}
            with store.connect() as conn:
                sent = conn.execute(records.select()).mappings().all()
            gone = set(military) | set(listed)
            assert not [r for r in sent if r["record_id"] in gone]
            children = [r for r in sent if any(v in r["payload"] for v in gone)]
            assert children == []  # no activity, lab, lab item, order... of theirs
            patient = reports["emr_patient_info"]
            assert patient.excluded["军人身份"] >= 2 and patient.excluded["指定患者"] == 2
            assert reports["emr_ex_lab"].excluded["parent emr_patient_info"] >= 4
            assert reports["emr_ex_lab_item"].excluded["parent emr_ex_lab"] > 0
            assert all("identity_code" not in r["payload"] for r in sent)  # helper: not sent
            lines = {ln.table: ln for ln in reconcile_day(poller, store, DAY)}
        assert lines["emr_patient_info"].excluded == patient.excluded.total()
        assert lines["emr_ex_lab_item"].excluded == reports["emr_ex_lab_item"].excluded.total()
        assert all(ln.missing == 0 for ln in lines.values())
    finally:
        store.dispose()
