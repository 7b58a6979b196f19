"""A county group's day end to end: one synthetic HIS (a county hospital and three township
centres), the worked-example mappings, one gateway with an ``institutions:`` list, two
front-end simulators (the county's own, and one the centres share).

Each front-end receives its own institutions' departments and doctors (base_dept, base_user)
and clinical records, and nothing else; a doctor working at the county hospital and at a centre
has a base_user row at each, under the same staff number with that institution's code. Every
record is delivered: nothing held, nothing dead, nothing left waiting.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, func, select, text

from hisbridge._clock import CHINA_TZ
from hisbridge.project.example import write_example
from hisbridge.runtime.extraction import Pipeline, extract, open_pipeline
from hisbridge.simulators.frontend import create_frontend_app
from hisbridge.simulators.his import COUNTY_GROUP, build_day
from hisbridge.store.engine import make_engine
from hisbridge.store.schema.outbox import outbox, quarantine
from hisbridge.testing import serve_app

COUNTY = COUNTY_GROUP.county
CENTRES = COUNTY_GROUP.townships
ORG_TABLES = ("emr_patient_info", "emr_activity_info", "emr_ex_lab", "emr_order", "base_user")


def _group_config(config: Path, county_url: str, shared_url: str) -> None:
    values = yaml.safe_load(config.read_text("utf-8"))
    values["frontend"].update(org_code=COUNTY.org_code, org_name=COUNTY.name)
    values["gdhealth"]["enabled"] = False
    values["institutions"] = [
        {"org_code": m.org_code, "name": m.name,
         "frontend": {"base_url": county_url if m is COUNTY else shared_url,
                      "license": f"LIC-{m.org_code}-{n}x7Qp"}}
        for n, m in enumerate(COUNTY_GROUP.members)]
    config.write_text(yaml.safe_dump(values, allow_unicode=True), "utf-8")


async def _extract_and_deliver(pipe: Pipeline) -> None:
    try:
        reports = await asyncio.to_thread(extract, pipe.poller, pipe.project.tables())
        assert all(r.error is None for r in reports), [r.error for r in reports if r.error]
        assert await pipe.delivery.run_until_idle(300)
    finally:
        await pipe.delivery.stop()


def _rows(db: str, sql: str) -> list[tuple[str, ...]]:
    engine = create_engine(db)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return found


def _run_group_day(tmp_path: Path, his_url: str, store_url: str,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    day: date = (datetime.now(CHINA_TZ) - timedelta(days=1)).date()
    his = create_engine(his_url)
    build_day(his, day, 150, seed=5, reset=True, group=COUNTY_GROUP)
    his.dispose()
    county_db, shared_db = (f"sqlite:///{tmp_path / n}" for n in ("county.db", "shared.db"))
    with serve_app(create_frontend_app(store_url=county_db)) as county_url, \
            serve_app(create_frontend_app(store_url=shared_db)) as shared_url:
        config = write_example(tmp_path / "proj", his_url=his_url, frontend_url=county_url,
                               store_url=store_url)[0]
        _group_config(config, county_url, shared_url)
        monkeypatch.setenv("HISBRIDGE_HIS__INITIAL_SINCE", f"{day.isoformat()}T00:00:00")
        with open_pipeline(config) as pipe:
            asyncio.run(_extract_and_deliver(pipe))
    _check_store(store_url)
    _check_departments_and_doctors(county_db, shared_db)
    for table in ORG_TABLES:
        assert {o for (o,) in _rows(county_db, f"SELECT DISTINCT org_code FROM {table}")} \
            == {COUNTY.org_code}, table
        assert {o for (o,) in _rows(shared_db, f"SELECT DISTINCT org_code FROM {table}")} \
            == {m.org_code for m in CENTRES}, table


def _check_store(store_url: str) -> None:
    engine = make_engine(store_url)
    with engine.connect() as conn:
        states = dict(conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all())
        by_org = dict(conn.execute(select(outbox.c.institution, func.count())
                                   .group_by(outbox.c.institution)).all())
        held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
    engine.dispose()
    assert set(states) == {"delivered"}, states  # nothing waiting, nothing dead
    assert held == 0
    assert set(by_org) == {m.org_code for m in COUNTY_GROUP.members}


def _check_departments_and_doctors(county_db: str, shared_db: str) -> None:
    county_depts = {d for (d,) in _rows(county_db, "SELECT dept_code FROM base_dept")}
    shared_depts = {d for (d,) in _rows(shared_db, "SELECT dept_code FROM base_dept")}
    assert county_depts == set(COUNTY.departments)
    assert shared_depts == {d for m in CENTRES for d in m.departments}
    users: dict[str, dict[str, str]] = defaultdict(dict)
    for db in (county_db, shared_db):
        for user_id, org, dept in _rows(db, "SELECT id, org_code, dept_code FROM base_user"):
            users[user_id][org] = dept
    shared_doctors = {u: orgs for u, orgs in users.items() if len(orgs) == 2}
    assert shared_doctors, "no doctor of two institutions"
    for orgs in shared_doctors.values():
        township = next(org for org in orgs if org != COUNTY.org_code)
        assert COUNTY.org_code in orgs and orgs[township] == "A02"  # the centre's general practice


def test_group_day_sqlite_his_and_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run_group_day(tmp_path, f"sqlite:///{tmp_path / 'his.db'}",
                   f"sqlite:///{tmp_path / 'store.db'}", monkeypatch)


@pytest.mark.services
def test_group_day_postgres_his_sqlite_store(tmp_path: Path, pg_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _run_group_day(tmp_path, pg_url, f"sqlite:///{tmp_path / 'store.db'}", monkeypatch)


@pytest.mark.services
def test_group_day_mariadb_his_postgres_store(tmp_path: Path, mysql_url: str, pg_url: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _run_group_day(tmp_path, mysql_url, pg_url, monkeypatch)
