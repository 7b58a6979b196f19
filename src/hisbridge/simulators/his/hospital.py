"""The synthetic hospital: its dictionaries, its staff, and the rows one visit produces.

``Hospital`` is deterministic for a seed. Every method returns plain rows (table name -> list
of dicts) ready for a bulk insert; it does no I/O, so the day builder and the live activity
share it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from hisbridge.simulators.his.group import HisGroup
from hisbridge.simulators.his.people import DISTRICTS, PeoplePool, resident_id
from hisbridge.simulators.his.vocab import DEPARTMENTS, DRUGS, LAB_PANELS, township_departments

__all__ = ["CLINICAL_DEPTS", "Hospital", "Row", "Rows"]

Row = dict[str, Any]
Rows = dict[str, list[Row]]

CLINICAL_DEPTS = [code for code, (_, attr, _) in DEPARTMENTS.items() if attr == "C"]


class Hospital:
    """One synthetic hospital; ``day`` fixes the id prefixes and the time line.

    With a ``group`` it is a county group's HIS (``hisbridge.simulators.his.group``): the
    township centres' departments and staff are added, and ``visit_dept`` sends a share of the
    outpatients to them. Without one, every draw is what it always was (same seed, same rows).
    """

    def __init__(self, seed: int, day: datetime, seq_base: int = 0,
                 group: HisGroup | None = None) -> None:
        self.rng = random.Random(seed)
        self.people = PeoplePool(seed)
        self.day = day
        self.tag = f"{day:%Y%m%d}"
        self.group = group
        self._seq: defaultdict[str, int] = defaultdict(lambda: seq_base)
        self.doctors, self.staff_rows, self.staff_dept_rows = self._staff()
        self.staff_org_rows = self._join_group(group) if group else []

    def _next(self, kind: str) -> int:
        self._seq[kind] += 1
        return self._seq[kind]

    # ---- dictionaries -------------------------------------------------------------------
    def dictionaries(self) -> Rows:
        """Departments, staff, the lab item and the drug dictionaries."""
        t0 = datetime(2020, 1, 1, 8, 0)
        group = self.group
        depts = [{"dept_code": c, "dept_name": n, "dept_attr": a, "parent_code": c[:2] + "00",
                  "input_date": t0, "stop_flag": "0", "modify_time": self.day,
                  "org_code": group.org_of(c) if group else None}
                 for c, (n, a, _) in self._departments().items()]
        items = {i[0]: i for _, _, panel in LAB_PANELS.values() for i in panel}
        lab = [{"item_code": c, "item_name": n, "units": u, "ref_low": lo, "ref_high": hi,
                "item_kind": k, "modify_time": t0} for c, n, u, lo, hi, k in items.values()]
        drugs = [{"drug_code": c, "drug_name": n, "drug_spec": s, "dose_unit": u,
                  "atc_code": atc, "modify_time": t0} for c, (n, s, u, _, atc) in DRUGS.items()]
        areas = [{"area_code": f"{county}{n:03d}", "area_name": f"{name}第{n}街道",
                  "modify_time": t0} for county, name in DISTRICTS for n in range(1, 13)]
        return {"area_dict": areas, "dept_dict": depts, "staff_dict": self.staff_rows,
                "staff_dept": self.staff_dept_rows, "lab_item_dict": lab, "drug_dict": drugs,
                "org_dict": group.org_rows(t0) if group else [],
                "staff_org": self.staff_org_rows}

    def _departments(self) -> dict[str, tuple[str, str, str]]:
        """Local department code -> (name, attr, standard code), the township centres' too."""
        found = dict(DEPARTMENTS)
        for n, _ in enumerate(self.group.townships if self.group else (), start=1):
            found.update(township_departments(n))
        return found

    def _staff(self) -> tuple[dict[str, list[str]], list[Row], list[Row]]:
        doctors: dict[str, list[str]] = defaultdict(list)
        staff: list[Row] = []
        links: list[Row] = []
        for dept, (_, attr, _) in DEPARTMENTS.items():
            for _ in range(6 if attr == "C" else 3):
                self._hire(doctors, staff, links, dept, attr)
        for emp_row in staff[:: 7]:  # some doctors also work in a second department
            second = self.rng.choice(CLINICAL_DEPTS)
            if second not in {lk["dept_code"] for lk in links if lk["emp_no"] == emp_row["emp_no"]}:
                links.append({"emp_no": emp_row["emp_no"], "dept_code": second,
                              "link_id": f"{emp_row['emp_no']}-{second}",
                              "main_flag": "0", "modify_time": self.day})
                doctors[second].append(emp_row["emp_no"])
        return doctors, staff, links

    def _hire(self, doctors: dict[str, list[str]], staff: list[Row], links: list[Row],
              dept: str, attr: str) -> str:
        """A new member of staff whose main department is ``dept``; their staff number."""
        created = datetime(2021, 3, 1, 9, 0)
        emp = f"D{len(staff) + 1:04d}"
        male = self.rng.random() < 0.5
        born = created - timedelta(days=self.rng.randint(25 * 365, 60 * 365))
        area = self.people.address()[0]
        staff.append({
            "emp_no": emp, "name": self.people.name(male), "login_name": emp.lower(),
            "id_no": resident_id(self.rng, area[:6], born.date(), male),
            "phone": self.people.phone(), "job": "DOC" if attr == "C" else "TEC",
            "title": self.rng.choice(("主任医师", "副主任医师", "主治医师", "住院医师")),
            "cert_no": f"1104401{self.rng.randrange(10**8, 10**9)}",
            "create_time": created, "stop_flag": "0", "modify_time": self.day})
        links.append({"emp_no": emp, "dept_code": dept, "link_id": f"{emp}-{dept}",
                      "main_flag": "1", "modify_time": self.day})
        doctors[dept].append(emp)
        return emp

    def _join_group(self, group: HisGroup) -> list[Row]:
        """Hire the township centres' staff, send some county clinicians to a centre as well,
        and write ``staff_org``: one row per (member of staff, institution they work in)."""
        county_clinicians = [lk for lk in self.staff_dept_rows
                             if lk["main_flag"] == "1" and lk["dept_code"] in CLINICAL_DEPTS]
        for n, _ in enumerate(group.townships, start=1):
            for dept, (_, attr, _) in township_departments(n).items():
                for _ in range(3 if attr == "C" else 1):
                    self._hire(self.doctors, self.staff_rows, self.staff_dept_rows, dept, attr)
        orgs = [self._org_link(lk["emp_no"], group.org_of(lk["dept_code"]), lk["dept_code"], "1")
                for lk in self.staff_dept_rows if lk["main_flag"] == "1"]
        for k, link in enumerate(county_clinicians[:: group.shared_every]):
            dept = f"7{k % len(group.townships) + 1}01"  # the centre's general practice
            emp = link["emp_no"]
            self.staff_dept_rows.append({"emp_no": emp, "dept_code": dept, "link_id": f"{emp}-{dept}",
                                         "main_flag": "0", "modify_time": self.day})
            self.doctors[dept].append(emp)
            orgs.append(self._org_link(emp, group.org_of(dept), dept, "0"))
        return orgs

    def _org_link(self, emp: str, org: str, dept: str, main: str) -> Row:
        return {"link_id": f"{emp}@{org}", "emp_no": emp, "org_code": org, "dept_code": dept,
                "main_flag": main, "modify_time": self.day}

    def visit_dept(self, dept: str) -> str:
        """Where an outpatient is seen: ``dept`` at the county hospital, or, in a group, a
        share of them at a township centre's clinic."""
        group = self.group
        if group is None or self.rng.random() >= group.township_share:
            return dept
        n = self.rng.randrange(len(group.townships)) + 1
        return self.rng.choice([c for c, (_, attr, _) in township_departments(n).items()
                                if attr == "C"])

    # ---- helpers for encounters ---------------------------------------------------------
    def new_id(self, prefix: str, width: int = 6) -> str:
        """``prefix`` + the day + a per-prefix sequence number."""
        return f"{prefix}{self.tag}{self._next(prefix):0{width}d}"

    def doctor(self, dept: str) -> str:
        return self.rng.choice(self.doctors.get(dept) or self.doctors["1001"])

    def later(self, when: datetime, low_min: int, high_min: int) -> datetime:
        """A time a few minutes after ``when`` (whole seconds, as every HIS stores them)."""
        return when + timedelta(seconds=self.rng.randint(low_min * 60, high_min * 60))
