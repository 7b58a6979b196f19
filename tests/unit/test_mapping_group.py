"""The worked example's mappings on a county group's HIS: base_user per (doctor, institution)
through the staff_org link table, base_dept and clinical records carrying their institution's
code (and name), and the single hospital's HIS mapped exactly as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from hisbridge.dictionary import load_dictionary
from hisbridge.mapping.codemaps import load_code_maps
from hisbridge.mapping.drugs import load_drug_catalogue
from hisbridge.mapping.rows import RowMapper
from hisbridge.mapping.sqlfile import parse_mapping_file
from hisbridge.simulators.his import his_metadata

TEMPLATES = Path(str(resources.files("hisbridge.mapping") / "templates"))
AT = datetime(2026, 3, 2, 9, 0)
COUNTY, STONE, DRAGON = "440183001", "440183101", "440183102"
NAMES = {COUNTY: "示例县人民医院", STONE: "示例县石门镇卫生院", DRAGON: "示例县龙潭镇卫生院"}
SINGLE = {"org_code": "440100001", "org_name": "示例市第一人民医院"}

# dept -> institution in a group's HIS
DEPTS = {"1001": COUNTY, "1002": COUNTY, "7101": STONE, "7201": DRAGON}
# (staff number, department, main flag): D2 also works at Shimen, D4 in two county departments
STAFF_DEPT = [("D1", "1001", "1"), ("D2", "1001", "1"), ("D2", "7101", "0"),
              ("D3", "7201", "1"), ("D4", "1001", "1"), ("D4", "1002", "0")]
# (staff number, institution, their department there, main): the doctor-institution link table
STAFF_ORG = [("D1", COUNTY, "1001", "1"), ("D2", COUNTY, "1001", "1"), ("D2", STONE, "7101", "0"),
             ("D3", DRAGON, "7201", "1"), ("D4", COUNTY, "1001", "1")]


def _his(grouped: bool) -> Engine:
    engine = create_engine("sqlite://")
    his_metadata.create_all(engine)
    t = his_metadata.tables
    with engine.begin() as conn:
        conn.execute(t["dept_dict"].insert(), [
            {"dept_code": d, "dept_name": f"科室{d}", "input_date": AT, "modify_time": AT,
             "org_code": org if grouped else None} for d, org in DEPTS.items()])
        conn.execute(t["staff_dict"].insert(), [
            {"emp_no": e, "name": f"医生{e}", "login_name": e.lower(), "create_time": AT,
             "stop_flag": "0", "modify_time": AT} for e in ("D1", "D2", "D3", "D4")])
        conn.execute(t["staff_dept"].insert(), [
            {"emp_no": e, "dept_code": d, "link_id": f"{e}-{d}", "main_flag": m,
             "modify_time": AT} for e, d, m in STAFF_DEPT])
        if grouped:
            conn.execute(t["staff_org"].insert(), [
                {"link_id": f"{e}@{o}", "emp_no": e, "org_code": o, "dept_code": d,
                 "main_flag": m, "modify_time": AT} for e, o, d, m in STAFF_ORG])
    return engine


@pytest.fixture(params=[True, False], ids=["group", "single"])
def his(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, bool]]:
    engine = _his(request.param)
    yield engine, request.param
    engine.dispose()


def _mapped(engine: Engine, table: str, grouped: bool) -> list[dict[str, str]]:
    dictionary = load_dictionary()
    mapping = parse_mapping_file(next((TEMPLATES / "mappings").glob(f"*_{table}.sql")))
    mapper = RowMapper(mapping, load_code_maps(TEMPLATES / "codemaps", dictionary),
                       load_drug_catalogue(None, frozenset(), dictionary), constants=SINGLE,
                       group=NAMES if grouped else None)
    with engine.connect() as conn:
        rows: list[Any] = list(conn.execute(text(mapping.sql), {
            "since": datetime(2026, 3, 1), "until": datetime(2026, 3, 3)}).mappings())
    return [m.record for m in mapper.map_rows(rows)]


GROUP_USERS = {
    ("D1", COUNTY, "A03.01"), ("D2", COUNTY, "A03.01"), ("D2", STONE, "A02"),
    ("D3", DRAGON, "A02"), ("D4", COUNTY, "A03.01"), ("D4-1002", COUNTY, "A03.02"),
}
SINGLE_USERS = {
    ("D1", "440100001", "A03.01"), ("D2", "440100001", "A03.01"),
    ("D2-7101", "440100001", "A02"), ("D3", "440100001", "A02"),
    ("D4", "440100001", "A03.01"), ("D4-1002", "440100001", "A03.02"),
}


def test_base_user_one_row_per_doctor_and_institution(his: tuple[Engine, bool]) -> None:
    engine, grouped = his
    users = {(r["id"], r["org_code"], r["dept_code"]) for r in _mapped(engine, "base_user", grouped)}
    assert users == (GROUP_USERS if grouped else SINGLE_USERS)


def test_a_doctor_of_two_institutions_keeps_one_id_in_each() -> None:
    engine = _his(True)
    rows = [r for r in _mapped(engine, "base_user", True) if r["id"] == "D2"]
    engine.dispose()
    assert sorted(r["org_code"] for r in rows) == [COUNTY, STONE]
    assert {r["user_name"] for r in rows} == {"医生D2"}  # the same person, a row in each


@pytest.mark.parametrize(("dept", "grouped", "org"), [
    ("1001", True, COUNTY), ("7101", True, STONE), ("7201", True, DRAGON),
    ("7101", False, None),  # a single hospital's HIS: no routing column at all
])
def test_base_dept_carries_its_institution_for_routing(dept: str, grouped: bool,
                                                       org: str | None) -> None:
    engine = _his(grouped)
    rows = {r["dept_code"]: r for r in _mapped(engine, "base_dept", grouped)}
    engine.dispose()
    assert rows[dept].get("org_code") == org
    assert "org_name" not in rows[dept]  # base_dept has no name field to fill


@pytest.mark.parametrize(("grouped", "carried", "code", "name"), [
    (True, STONE, STONE, NAMES[STONE]),  # the HIS's code, that institution's name
    (True, None, None, None),  # no code in a group: left missing (held), never the top level's
    (False, None, "440100001", "示例市第一人民医院"),  # one hospital: filled as before
    (False, "440100009", "440100009", "示例市第一人民医院"),
])
def test_org_name_follows_the_code_the_record_carries(grouped: bool, carried: str | None,
                                                      code: str | None, name: str | None) -> None:
    mapping = parse_mapping_file(TEMPLATES / "mappings" / "02_emr_activity_info.sql")
    dictionary = load_dictionary()
    mapper = RowMapper(mapping, load_code_maps(TEMPLATES / "codemaps", dictionary),
                       load_drug_catalogue(None, frozenset(), dictionary), constants=SINGLE,
                       group=NAMES if grouped else None)
    record = mapper.map_row({"id": "X1", "org_code": carried, "updated_at": AT}).record
    assert (record.get("org_code"), record.get("org_name")) == (code, name)


@pytest.mark.parametrize(("listed", "constants", "group"), [
    ([], ("440100001", "示例市第一人民医院"), {}),  # no institutions: the frontend section
    ([{"org_code": STONE, "name": NAMES[STONE]}], (STONE, NAMES[STONE]), {}),  # just one: its own
    ([{"org_code": COUNTY, "name": NAMES[COUNTY]}, {"org_code": STONE, "name": NAMES[STONE]}],
     ("440100001", "示例市第一人民医院"), {COUNTY: NAMES[COUNTY], STONE: NAMES[STONE]}),
])
def test_what_the_project_fills_in_follows_the_institutions_served(
        listed: list[dict[str, str]], constants: tuple[str, str], group: dict[str, str]) -> None:
    from hisbridge.runtime.extraction import project_settings
    from hisbridge.settings import Settings

    settings = project_settings(Settings(frontend=SINGLE, institutions=listed))
    assert (settings.frontend.org_code, settings.frontend.org_name) == constants
    assert dict(settings.group) == group
