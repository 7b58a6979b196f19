"""A HIS that is not ours, end to end: MariaDB tables in pinyin with local codes, mapped by the
files in ``tests/data/his2`` (the worked example's format), delivered to the front-end simulator.

Day one: registrations, diagnoses (one notifiable, in clinical-edition form), lab reports and
results, prescriptions (one wanted drug, one vitamin), departments and staff; two dirty rows
are refused with the field, its label and the rule. Then the HIS corrects a diagnosis, voids a
prescription (flag), deletes a lab report and a result outright (no flag), cancels a
registration and fixes the dirty rows. After a second pass and the key-set sweep the front-end
holds exactly what the HIS has, without orphans, and reconciliation finds no gap.
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, select, text

from hisbridge import _json
from hisbridge._clock import CHINA_TZ
from hisbridge.dictionary import load_dictionary
from hisbridge.runtime.extraction import Pipeline, extract, open_pipeline
from hisbridge.simulators.frontend import create_frontend_app
from hisbridge.sources.reconcile import TableReconciliation, reconcile_day
from hisbridge.store.schema.outbox import quarantine
from hisbridge.testing import serve_app
from hisbridge.testing.documents import make_id_card

pytestmark = pytest.mark.services
HIS2 = Path(__file__).parents[1] / "data" / "his2"

DDL = """
CREATE TABLE xt_ks (ksdm VARCHAR(10) PRIMARY KEY, ksmc VARCHAR(40), xgsj DATETIME);
CREATE TABLE xt_yh (yhdm VARCHAR(10) PRIMARY KEY, xm VARCHAR(20), ksdm VARCHAR(10),
  cjsj DATETIME, tybz CHAR(1) DEFAULT '0', xgsj DATETIME);
CREATE TABLE br_jbxx (brid VARCHAR(10) PRIMARY KEY, xm VARCHAR(20), zjlx VARCHAR(5),
  sfzh VARCHAR(18), xb CHAR(1), csrq VARCHAR(20), lxdh VARCHAR(20), xzz VARCHAR(100),
  xgsj DATETIME);
CREATE TABLE gh_mzgh (ghxh VARCHAR(12) PRIMARY KEY, brid VARCHAR(10), ksdm VARCHAR(10),
  ysdm VARCHAR(10), ghsj DATETIME, thbz CHAR(1) DEFAULT '0', xgsj DATETIME);
CREATE TABLE mz_zdjl (zdxh VARCHAR(12) PRIMARY KEY, ghxh VARCHAR(12), zddm VARCHAR(20),
  zdmc VARCHAR(60), zdsj DATETIME, ysdm VARCHAR(10), zfbz CHAR(1) DEFAULT '0', xgsj DATETIME);
CREATE TABLE yj_jybg (bgxh VARCHAR(12) PRIMARY KEY, ghxh VARCHAR(12), sqks VARCHAR(10),
  bgys VARCHAR(10), bgsj DATETIME, xgsj DATETIME);
CREATE TABLE yj_jymx (mxxh VARCHAR(12) PRIMARY KEY, bgxh VARCHAR(12), xmdm VARCHAR(10),
  xmmc VARCHAR(40), jg VARCHAR(20), dw VARCHAR(10), jysj VARCHAR(30), xgsj DATETIME);
CREATE TABLE cf_cfzb (cfxh VARCHAR(12) PRIMARY KEY, ghxh VARCHAR(12), ysdm VARCHAR(10),
  kfsj DATETIME, zfbz CHAR(1) DEFAULT '0', xgsj DATETIME);
CREATE TABLE cf_cfmx (mxxh VARCHAR(12) PRIMARY KEY, cfxh VARCHAR(12), ypdm VARCHAR(10),
  ypmc VARCHAR(40), jl VARCHAR(10), jldw VARCHAR(10), sl VARCHAR(10), xgsj DATETIME)
"""


def _day_rows(day: date) -> dict[str, list[dict[str, Any]]]:
    at = datetime(day.year, day.month, day.day, 9, 0)
    rng = random.Random(7)

    def t(minutes: int) -> datetime:
        return at + timedelta(minutes=minutes)

    def patient(brid: str, name: str, sex: str, birth: str) -> dict[str, Any]:
        card = make_id_card(rng, "1985-04-12" if birth.endswith("30") else birth,
                            "1" if sex == "M" else "2")
        return {"brid": brid, "xm": name, "zjlx": "SFZ", "sfzh": card, "xb": sex, "csrq": birth,
                "lxdh": "13800138000", "xzz": "广州市越秀区", "xgsj": t(1)}

    return {
        "xt_ks": [{"ksdm": k, "ksmc": n, "xgsj": t(0)}
                  for k, n in (("NK01", "内科"), ("EK01", "儿科"), ("JYK", "检验科"))],
        "xt_yh": [{"yhdm": u, "xm": n, "ksdm": k, "cjsj": t(0), "xgsj": t(0)}
                  for u, n, k in (("D001", "张医生", "NK01"), ("D002", "李医生", "EK01"),
                                  ("L001", "王技师", "JYK"))],
        "br_jbxx": [patient("B1", "陈一", "M", "1985-04-12"), patient("B2", "林二", "F", "2015-06-01"),
                    patient("B3", "黄三", "M", "1970-01-20"),
                    patient("B4", "周四", "F", "1990-02-30")],  # dirty: no such day
        "gh_mzgh": [{"ghxh": g, "brid": b, "ksdm": k, "ysdm": d, "ghsj": t(i * 10), "xgsj": t(i * 10)}
                    for i, (g, b, k, d) in enumerate((("G1", "B1", "NK01", "D001"),
                                                      ("G2", "B2", "EK01", "D002"),
                                                      ("G3", "B3", "NK01", "D001"),
                                                      ("G4", "B4", "NK01", "D001")), 2)],
        "mz_zdjl": [{"zdxh": z, "ghxh": g, "zddm": c, "zdmc": n, "zdsj": t(60), "ysdm": "D001",
                     "xgsj": t(60)}
                    for z, g, c, n in (("Z1", "G1", "A15.000", "肺结核"),  # notifiable
                                       ("Z2", "G2", "J06.900", "急性上呼吸道感染"),
                                       ("Z3", "G3", "J11.100", "流行性感冒"),
                                       ("Z4", "G4", "J06.900", "急性上呼吸道感染"))],
        "yj_jybg": [{"bgxh": r, "ghxh": g, "sqks": "NK01", "bgys": "L001", "bgsj": t(90),
                     "xgsj": t(90)} for r, g in (("R1", "G1"), ("R2", "G2"), ("R3", "G3"))],
        "yj_jymx": [{"mxxh": m, "bgxh": r, "xmdm": x, "xmmc": n, "jg": v, "dw": "10^9/L",
                     "jysj": j, "xgsj": t(91)}
                    for m, r, x, n, v, j in (
                        ("M1", "R1", "WBC", "白细胞", "6.1", str(t(85))),
                        ("M2", "R1", "NEU", "中性粒细胞", "3.2", str(t(85))),
                        ("M3", "R2", "WBC", "白细胞", "11.8", "2026-13-01 25:00:00"),  # dirty
                        ("M4", "R3", "WBC", "白细胞", "7.0", str(t(85))),
                        ("M5", "R2", "NEU", "中性粒细胞", "8.9", str(t(85))))],
        "cf_cfzb": [{"cfxh": c, "ghxh": g, "ysdm": "D001", "kfsj": t(70), "xgsj": t(70)}
                    for c, g in (("C1", "G1"), ("C2", "G2"), ("C3", "G3"), ("C4", "G2"))],
        "cf_cfmx": [{"mxxh": d, "cfxh": c, "ypdm": y, "ypmc": n, "jl": "1", "jldw": u, "sl": "12",
                     "xgsj": t(70)}
                    for d, c, y, n, u in (("D1", "C1", "YP002", "阿莫西林胶囊", "粒"),
                                          ("D2", "C1", "YP003", "维生素C片", "片"),
                                          ("D3", "C2", "YP003", "维生素C片", "片"),
                                          ("D4", "C3", "YP001", "磷酸奥司他韦胶囊", "粒"),
                                          ("D5", "C4", "YP001", "磷酸奥司他韦胶囊", "粒"))],
    }


def _build(his: Engine, day: date) -> None:
    with his.begin() as conn:
        for statement in DDL.split(";"):
            conn.execute(text(statement))
        for table, rows in _day_rows(day).items():
            columns = list(rows[0])
            conn.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                              f"({', '.join(':' + c for c in columns)})"), rows)


def _corrections(his: Engine, when: datetime) -> None:
    """What the hospital does later: correct, void, delete outright, cancel, fix."""
    with his.begin() as conn:
        for sql in (
            "UPDATE mz_zdjl SET zdmc = '急性咽炎', zddm = 'J02.900', xgsj = :w WHERE zdxh = 'Z2'",
            "UPDATE cf_cfzb SET zfbz = '1', xgsj = :w WHERE cfxh = 'C1'",  # flagged delete
            "DELETE FROM yj_jybg WHERE bgxh = 'R1'",  # hard deletes: a report, a result
            "DELETE FROM yj_jymx WHERE mxxh = 'M5'",
            "UPDATE gh_mzgh SET thbz = '1', xgsj = :w WHERE ghxh = 'G3'",  # cancelled visit
            "UPDATE br_jbxx SET csrq = '1990-02-03', xgsj = :w WHERE brid = 'B4'",  # fixed
            "UPDATE yj_jymx SET jysj = '2026-03-01 10:30:00', xgsj = :w WHERE mxxh = 'M3'",
        ):
            conn.execute(text(sql), {"w": when})


def _config(tmp: Path, his_url: str, frontend_url: str) -> Path:
    settings = {
        "store": {"url": f"sqlite:///{tmp / 'store.db'}"},
        "frontend": {"base_url": frontend_url, "org_code": "440100002", "org_name": "示例二院"},
        "his": {"source_name": "his2", "source_url": his_url,
                "mappings_dir": str(HIS2 / "mappings"), "codemaps_dir": str(HIS2 / "codemaps"),
                "drug_catalogue": str(HIS2 / "drug_catalogue.csv")},
    }
    config = tmp / "hisbridge.yaml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    return config


async def _run(pipe: Pipeline, his: Engine, day: date) -> list[TableReconciliation]:
    try:
        first = await asyncio.to_thread(extract, pipe.poller, pipe.project.tables())
        assert all(r.error is None for r in first), [r.error for r in first if r.error]
        assert sum(r.counts.filtered for r in first) == 3  # C2 (vitamin only), D2, D3
        assert await pipe.delivery.run_until_idle(60)
        _check_rejections(pipe.engine)
        _corrections(his, pipe.poller.now() - timedelta(seconds=5))
        second = await asyncio.to_thread(extract, pipe.poller, pipe.project.tables())
        swept = await asyncio.to_thread(pipe.poller.sweep, None, [day, pipe.poller.now().date()])
        assert sum(r.counts.deleted for r in second + swept) >= 4
        assert await pipe.delivery.run_until_idle(60)
        return [line for d in (day, pipe.poller.now().date())
                for line in await asyncio.to_thread(reconcile_day, pipe.poller, pipe.engine, d)]
    finally:
        await pipe.delivery.stop()


def _check_rejections(store: Engine) -> None:
    """The two dirty rows are quarantined with the field, its Chinese label and the rule."""
    with store.connect() as conn:
        rows = conn.execute(select(quarantine.c.table_name, quarantine.c.record_id,
                                   quarantine.c.violations)).all()
    found = {(t, rid): _json.loads(v) for t, rid, v in rows}
    assert set(found) == {("emr_patient_info", "G4"), ("emr_ex_lab_item", "M3")}
    birth = found[("emr_patient_info", "G4")][0]
    assert (birth["field"], birth["rule"], birth["label_zh"]) == ("birth_date", "date", "出生日期")
    when = found[("emr_ex_lab_item", "M3")][0]
    assert (when["field"], when["rule"]) == ("operation_time", "datetime")


def _front_end(sim_db: str) -> dict[str, set[str]]:
    sim = create_engine(sim_db)
    with sim.connect() as conn:
        held = {spec.name: {str(r[0]) for r in conn.execute(text(
            f"SELECT {spec.primary_key} FROM {spec.name}"))} for spec in load_dictionary()}
        orphans = [(spec.name, link.table) for spec in load_dictionary() for link in spec.parent_keys
                   if conn.execute(text(
                       f"SELECT count(*) FROM {spec.name} c LEFT JOIN {link.table} p ON "
                       f"p.{link.column} = c.{link.field} WHERE p.{link.column} IS NULL"
                   )).scalar_one()]
        items = {r[0]: r[1] for r in conn.execute(text("SELECT id, drug_code FROM emr_order_item"))}
        z1 = conn.execute(text("SELECT patient_id, wm_disease_code, disease_code "
                               "FROM emr_activity_info WHERE id = 'Z1'")).all()
    sim.dispose()
    assert orphans == []
    assert items == {"D5": "257"}  # the standard code of 磷酸奥司他韦胶囊, not YP001
    # The notifiable diagnosis arrived: the clinical-edition code as the western-medicine
    # diagnosis, and its notifiable disease code found up the ICD hierarchy (A15.000 -> A15.0).
    assert z1 == [("G1", "A15.000", "A15.0")]
    return {t: keys for t, keys in held.items() if keys}


def test_a_second_his_in_mariadb(tmp_path: Path, mysql_url: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    day = (datetime.now(CHINA_TZ) - timedelta(days=1)).date()
    his = create_engine(mysql_url)
    _build(his, day)
    sim_db = f"sqlite:///{tmp_path / 'frontend.db'}"
    monkeypatch.setenv("HISBRIDGE_HIS__INITIAL_SINCE", f"{day.isoformat()}T00:00:00")
    with serve_app(create_frontend_app(store_url=sim_db)) as url:
        with open_pipeline(_config(tmp_path, mysql_url, url)) as pipe:
            lines = asyncio.run(_run(pipe, his, day))
    his.dispose()
    assert [x.as_dict() for x in lines if not x.complete] == []
    withdrawn = {x.table: x.withdrawn for x in lines if x.withdrawn}
    # the cancelled visit G3 (Z3, R3 with M4, C3 with D4) and the report deleted outright (M1, M2)
    assert withdrawn == {"emr_activity_info": 1, "emr_ex_lab": 1, "emr_ex_lab_item": 3,
                         "emr_order": 1, "emr_order_item": 1}
    assert _front_end(sim_db) == {
        "emr_patient_info": {"G1", "G2", "G4"}, "emr_activity_info": {"Z1", "Z2", "Z4"},
        "emr_ex_lab": {"R2"}, "emr_ex_lab_item": {"M3"}, "emr_order": {"C4"},
        "emr_order_item": {"D5"}, "base_user": {"D001", "D002", "L001"},
        "base_dept": {"NK01", "EK01", "JYK"}}
