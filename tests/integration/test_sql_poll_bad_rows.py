"""Broken HIS rows are quarantined with field-level reasons and counted per source."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from hisbridge import _json
from hisbridge._clock import CHINA_TZ
from hisbridge.dictionary import Validator
from hisbridge.project import Project
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import open_project
from hisbridge.settings import load_settings
from hisbridge.simulators.his import build_day
from hisbridge.simulators.his.schema import his_metadata
from hisbridge.sources.sql_poll import PollReport, SqlPoller
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.sources import source_rejects, source_unmapped_codes
from hisbridge.testing import ManualClock, MemoryIntake

DAY = date(2026, 3, 2)
T = datetime(2026, 3, 2, 15, 0)


def _break_things(his: Engine) -> None:
    t = his_metadata.tables
    base = {"date_of_birth": datetime(1990, 5, 17), "id_type": "身份证", "nation": "汉",
            "citizenship": "CHN", "area_code": "440106001", "mailing_address": "天河路1号",
            "phone": "13800138000", "unit_name": "某公司", "marital_status": "已婚",
            "education": "本科", "occupation": "GR", "create_time": T, "modify_time": T}
    patients = [
        {**base, "patient_id": "BAD1", "name": "张三", "sex": "男",
         "id_no": "440106199005170010"},                        # wrong check digit
        {**base, "patient_id": "BAD2", "name": "李四", "sex": "X",
         "id_no": "44010619900517001X"},                        # unknown sex code
        {**base, "patient_id": "BAD3", "name": "王五", "sex": "女",
         "id_no": "440106199005170029", "unit_name": b"\xff\xfe\xfd"},  # undecodable text
    ]
    visits = [{"visit_no": f"MZBAD{n}", "patient_id": f"BAD{n}", "visit_type": "1",
               "visit_dept": "1001", "doctor": "D0001", "visit_time": T, "first_visit": "1",
               "obs_flag": "0", "charge_type": "ZG", "cancel_flag": "0", "modify_time": T}
              for n in (1, 2, 3)]
    with his.begin() as conn:
        conn.execute(t["pat_master_index"].insert(), patients)
        conn.execute(t["clinic_master"].insert(), visits)
        conn.execute(text("UPDATE pat_master_index SET date_of_birth = '1990-13-45' "
                          "WHERE patient_id = 'BAD1'"))                # not a date at all
        conn.execute(t["lab_result"].insert(), [{                       # no parent report
            "result_id": "ORPHAN-01", "test_no": None, "item_code": "WBC",
            "item_name": "白细胞计数", "result": "5.1", "result_time": T, "modify_time": T}])
        conn.execute(t["presc_master"].insert(), [{
            "presc_no": "RXBAD", "patient_id": "BAD1", "visit_no": "MZBAD1", "visit_class": "O",
            "presc_type": "1", "presc_date": T, "doctor": "D0001", "dept": "1001",
            "del_flag": "0", "modify_time": T}])
        conn.execute(t["presc_detail"].insert(), [{
            "detail_id": "RXBAD-1", "presc_no": "RXBAD", "item_no": 1, "drug_code": "Y0101",
            "drug_name": "磷酸奥司他韦胶囊" * 7, "drug_spec": "75mg", "dosage": "75",
            "dosage_units": "mg", "modify_time": T}])                     # name too long


def _setup(tmp_path: Path, strict_codes: bool) -> tuple[Project, Engine]:
    url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    his = make_engine(url)
    build_day(his, DAY, 20, seed=5)
    _break_things(his)
    write_example(tmp_path, his_url=url, store_url=f"sqlite:///{tmp_path / 'store.db'}")
    settings = load_settings(tmp_path / "hisbridge.yaml", his={"strict_codes": strict_codes})
    return open_project(tmp_path / "hisbridge.yaml", settings), his


def _poll(project: Project, mode: str) -> tuple[dict[str, PollReport], Engine, MemoryIntake]:
    store = make_engine(f"sqlite:///{project.root / 'store.db'}")  # as written by _setup
    upgrade(store)
    intake = MemoryIntake(validator=Validator(mode))  # type: ignore[arg-type]
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    with SqlPoller(project, intake, store, clock=clock) as poller:
        return {r.table: r for r in poller.poll_all()}, store, intake


def _reasons(report: PollReport) -> dict[str, set[tuple[str, str]]]:
    return {str(rid): {(v.field, v.rule) for v in vs if v.severity == "error"}
            for rid, vs in report.examples}


def test_bad_rows_are_quarantined_with_field_level_reasons(tmp_path: Path) -> None:
    project, _ = _setup(tmp_path, strict_codes=True)
    reports, store, intake = _poll(project, "strict")
    patients = _reasons(reports["emr_patient_info"])
    assert ("birth_date", "date") in patients["MZBAD1"]
    assert ("id_card", "id_card") in patients["MZBAD1"]
    assert patients["MZBAD2"] == {("gender_code", "code_map")}
    assert patients["MZBAD3"] == {("workunit", "text_encoding")}
    assert reports["emr_patient_info"].counts.rejected == 3
    assert _reasons(reports["emr_ex_lab_item"]) == {"ORPHAN-01": {("ex_lab_id", "parent_key")}}
    assert _reasons(reports["emr_order_item"]) == {"RXBAD-1": {("drug_name", "length")}}
    assert _reasons(reports["emr_order"]) == {"RXBAD": {("id_card", "id_card")}}  # copied id
    assert not {"MZBAD1", "MZBAD2", "MZBAD3"} & intake.keys("emr_patient_info")
    assert intake.count("emr_patient_info") > 20            # the good rows went through
    with store.connect() as conn:
        stages = dict(conn.execute(select(source_rejects.c.stage, func.count()).group_by(
            source_rejects.c.stage)).all())
        stored = conn.execute(select(source_rejects.c.violations).where(
            source_rejects.c.record_id == "MZBAD1")).scalar_one()
    assert stages == {"mapping": 2, "intake": 4}
    assert "440106199005170010" not in stored                # ID numbers are masked
    assert {"birth_date", "id_card"} <= {v["field"] for v in _json.loads(stored)}


def test_unmapped_codes_are_counted_and_sent_when_lenient(tmp_path: Path) -> None:
    project, _ = _setup(tmp_path, strict_codes=False)
    reports, store, intake = _poll(project, "lenient")
    assert reports["emr_patient_info"].unmapped == {("gender_code", "gender", "X"): 1}
    assert intake.current["emr_patient_info"]["MZBAD2"]["gender_code"] == "X"
    assert "MZBAD1" not in intake.keys("emr_patient_info")   # a broken date is always an error
    with store.connect() as conn:
        rows = conn.execute(select(source_unmapped_codes)).mappings().all()
    assert [(r["column_name"], r["hospital_code"], r["count"]) for r in rows
            if r["outcome"] == "unmapped"] == [("gender_code", "X", 1)]
    dropped = [r for r in rows if r["outcome"] == "dropped"]  # optional maps: counted too
    assert dropped and {r["column_name"] for r in dropped} == {"disease_code"}
    assert sum(r["count"] for r in dropped) == sum(reports["emr_activity_info"].dropped.values())


@pytest.mark.parametrize("mode", ["lenient", "strict"])
def test_counts_per_source_run(tmp_path: Path, mode: str) -> None:
    project, _ = _setup(tmp_path, strict_codes=False)
    reports, _, _ = _poll(project, mode)
    rejected = {t: r.counts.rejected for t, r in reports.items() if r.counts.rejected}
    # lenient: the bad date and the undecodable text; the unknown sex and the bad ID only warn
    expected = {"emr_patient_info": 2, "emr_ex_lab_item": 1, "emr_order_item": 1}
    if mode == "strict":  # the unknown code too; a broken ID number also where it is copied
        expected |= {"emr_patient_info": 3, "emr_order": 1}
    assert rejected == expected


def test_re_read_rows_do_not_count_their_codes_again(tmp_path: Path) -> None:
    """The overlap and the inclusive bounds re-read rows every poll: a code left out of a row
    already sent is not counted again (the data-quality page's "how often" is per record)."""
    project, _ = _setup(tmp_path, strict_codes=False)
    store = make_engine(f"sqlite:///{project.root / 'store.db'}")  # as written by _setup
    upgrade(store)
    intake = MemoryIntake(validator=Validator("lenient"))
    clock = ManualClock(datetime(2026, 3, 3, 8, 0, tzinfo=CHINA_TZ))
    start = datetime(2026, 3, 2)
    with SqlPoller(project, intake, store, clock=clock) as poller:
        first = poller.poll_table("emr_activity_info", since=start)
        again = poller.poll_table("emr_activity_info", since=start)
    assert first.dropped and again.counts.unchanged == again.counts.rows_read
    assert not again.dropped and not again.generalised
    with store.connect() as conn:
        counted = conn.execute(select(func.sum(source_unmapped_codes.c.count)).where(
            source_unmapped_codes.c.outcome == "dropped")).scalar_one()
    assert counted == sum(first.dropped.values())
