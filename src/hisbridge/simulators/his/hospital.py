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

from hisbridge.simulators.his.people import DISTRICTS, PeoplePool, resident_id
from hisbridge.simulators.his.vocab import DEPARTMENTS, DRUGS, LAB_PANELS

__all__ = ["CLINICAL_DEPTS", "Hospital", "Row", "Rows"]

Row = dict[str, Any]
Rows = dict[str, list[Row]]

CLINICAL_DEPTS = [code for code, (_, attr, _) in DEPARTMENTS.items() if attr == "C"]


class Hospital:
    """One synthetic hospital; ``day`` fixes the id prefixes and the time line."""

    def __init__(self, seed: int, day: datetime, seq_base: int = 0) -> None:
        self.rng = random.Random(seed)
        self.people = PeoplePool(seed)
        self.day = day
        self.tag = f"{day:%Y%m%d}"
        self._seq: defaultdict[str, int] = defaultdict(lambda: seq_base)
        self.doctors, self.staff_rows, self.staff_dept_rows = self._staff()

    def _next(self, kind: str) -> int:
        self._seq[kind] += 1
        return self._seq[kind]

    # ---- dictionaries -------------------------------------------------------------------
    def dictionaries(self) -> Rows:
        """Departments, staff, the lab item and the drug dictionaries."""
        t0 = datetime(2020, 1, 1, 8, 0)
        depts = [{"dept_code": c, "dept_name": n, "dept_attr": a, "parent_code": c[:2] + "00",
                  "input_date": t0, "stop_flag": "0", "modify_time": self.day}
                 for c, (n, a, _) in DEPARTMENTS.items()]
        items = {i[0]: i for _, _, panel in LAB_PANELS.values() for i in panel}
        lab = [{"item_code": c, "item_name": n, "units": u, "ref_low": lo, "ref_high": hi,
                "item_kind": k, "modify_time": t0} for c, n, u, lo, hi, k in items.values()]
        drugs = [{"drug_code": c, "drug_name": n, "drug_spec": s, "dose_unit": u,
                  "atc_code": atc, "modify_time": t0} for c, (n, s, u, _, atc) in DRUGS.items()]
        areas = [{"area_code": f"{county}{n:03d}", "area_name": f"{name}第{n}街道",
                  "modify_time": t0} for county, name in DISTRICTS for n in range(1, 13)]
        return {"area_dict": areas, "dept_dict": depts, "staff_dict": self.staff_rows,
                "staff_dept": self.staff_dept_rows, "lab_item_dict": lab, "drug_dict": drugs}

    def _staff(self) -> tuple[dict[str, list[str]], list[Row], list[Row]]:
        doctors: dict[str, list[str]] = defaultdict(list)
        staff: list[Row] = []
        links: list[Row] = []
        created = datetime(2021, 3, 1, 9, 0)
        for dept, (_, attr, _) in DEPARTMENTS.items():
            for _ in range(6 if attr == "C" else 3):
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
        for emp_row in staff[:: 7]:  # some doctors also work in a second department
            second = self.rng.choice(CLINICAL_DEPTS)
            if second not in {lk["dept_code"] for lk in links if lk["emp_no"] == emp_row["emp_no"]}:
                links.append({"emp_no": emp_row["emp_no"], "dept_code": second,
                              "link_id": f"{emp_row['emp_no']}-{second}",
                              "main_flag": "0", "modify_time": self.day})
                doctors[second].append(emp_row["emp_no"])
        return doctors, staff, links

    # ---- helpers for encounters ---------------------------------------------------------
    def new_id(self, prefix: str, width: int = 6) -> str:
        """``prefix`` + the day + a per-prefix sequence number."""
        return f"{prefix}{self.tag}{self._next(prefix):0{width}d}"

    def doctor(self, dept: str) -> str:
        return self.rng.choice(self.doctors.get(dept) or self.doctors["1001"])

    def later(self, when: datetime, low_min: int, high_min: int) -> datetime:
        """A time a few minutes after ``when`` (whole seconds, as every HIS stores them)."""
        return when + timedelta(seconds=self.rng.randint(low_min * 60, high_min * 60))
