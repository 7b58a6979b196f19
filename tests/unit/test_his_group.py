"""The synthetic HIS of a county group: four institutions on one HIS, visits at each, some
county doctors also working at a township centre (a staff_org row for each institution)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import create_engine, text

from hisbridge.simulators.his import COUNTY_GROUP, build_day


def test_a_group_day_has_visits_at_every_institution_and_shared_doctors() -> None:
    engine = create_engine("sqlite://")
    build_day(engine, date(2026, 3, 2), 300, seed=3, group=COUNTY_GROUP)
    with engine.connect() as conn:
        visits = Counter(dict(conn.execute(text(
            "SELECT k.org_code, COUNT(*) FROM clinic_master c "
            "JOIN dept_dict k ON k.dept_code = c.visit_dept GROUP BY k.org_code")).all()))
        links = conn.execute(text("SELECT emp_no, org_code FROM staff_org")).all()
        orgs = conn.execute(text("SELECT org_code FROM org_dict")).scalars().all()
        unlinked = conn.execute(text(
            "SELECT COUNT(*) FROM staff_dict s WHERE NOT EXISTS "
            "(SELECT 1 FROM staff_org o WHERE o.emp_no = s.emp_no)")).scalar_one()
    engine.dispose()
    codes = [m.org_code for m in COUNTY_GROUP.members]
    assert sorted(orgs) == sorted(codes)
    assert set(visits) == set(codes) and all(visits[c] > 10 for c in codes)
    per_doctor = Counter(emp for emp, _ in links)
    shared = {emp for emp, n in per_doctor.items() if n == 2}
    assert shared and max(per_doctor.values()) == 2
    county = COUNTY_GROUP.county.org_code
    assert all({org for emp, org in links if emp == e} - {county} for e in shared)
    assert unlinked == 0  # everyone works somewhere


def test_a_single_hospital_day_is_unchanged_by_groups() -> None:
    engine = create_engine("sqlite://")
    build_day(engine, date(2026, 3, 2), 100, seed=3)
    with engine.connect() as conn:
        orgs = conn.execute(text("SELECT COUNT(*) FROM dept_dict WHERE org_code IS NOT NULL"))
        links = conn.execute(text("SELECT COUNT(*) FROM staff_org"))
        assert (orgs.scalar_one(), links.scalar_one()) == (0, 0)
        depts = conn.execute(text("SELECT COUNT(*) FROM dept_dict")).scalar_one()
    engine.dispose()
    assert depts == 36
