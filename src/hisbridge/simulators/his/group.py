"""A county medical community (县域医共体) on one synthetic HIS.

One HIS serves a county hospital and its township health centres, as the group HIS of a
紧密型县域医共体 does: every department belongs to one institution (``dept_dict.org_code``), the
institutions are listed in ``org_dict``, and ``staff_org`` links each member of staff to every
institution they work in, with their department there (a county doctor who also sees patients
at a township centre has a row for each). The mapping turns that into records carrying four
organisation codes, and base_user rows per (doctor, institution).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hisbridge.simulators.his.vocab import DEPARTMENTS, township_departments

__all__ = ["COUNTY_GROUP", "HisGroup", "Member"]


@dataclass(frozen=True, slots=True)
class Member:
    """One institution of the group: its organisation code, name and local departments."""

    org_code: str
    name: str
    kind: str  # county | township
    departments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HisGroup:
    """The institutions one HIS serves; the first is the county hospital."""

    members: tuple[Member, ...]
    township_share: float = 0.45  # outpatient visits seen at the township centres
    shared_every: int = 8  # every n-th county clinician also works at a township centre

    @property
    def county(self) -> Member:
        return self.members[0]

    @property
    def townships(self) -> tuple[Member, ...]:
        return self.members[1:]

    def org_of(self, dept: str) -> str:
        """The organisation code of the institution department ``dept`` belongs to."""
        return next((m.org_code for m in self.members if dept in m.departments),
                    self.county.org_code)

    def org_rows(self, when: datetime) -> list[dict[str, object]]:
        """The ``org_dict`` rows."""
        return [{"org_code": m.org_code, "org_name": m.name, "org_type": m.kind,
                 "modify_time": when} for m in self.members]


def _township(n: int, org_code: str, name: str) -> Member:
    return Member(org_code, name, "township", tuple(township_departments(n)))


# Synthetic codes and names (示例县): not real institutions.
COUNTY_GROUP = HisGroup((
    Member("440183001", "示例县人民医院", "county", tuple(DEPARTMENTS)),
    _township(1, "440183101", "示例县石门镇卫生院"),
    _township(2, "440183102", "示例县龙潭镇卫生院"),
    _township(3, "440183103", "示例县白沙镇卫生院"),
))
