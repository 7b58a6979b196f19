"""Who may use a grant: ``consent.viewer_scope`` as a pure decision.

A grant is made to one institution and is never usable by another (a hospital group serves
several on one gateway): that refusal, ``OTHER_INSTITUTION``, holds whatever the scope.

A patient authorizes viewing for one encounter; the HIS signs the doctor who opens the viewer.
Whether a doctor other than the one who asked may view under the grant depends on the scope:

- ``institution``: any doctor of the hospital;
- ``department`` (default): a doctor of the encounter's department (the department of the
  encounter as the HIS pushed it; when unknown, the department the grant was asked from), and
  always the doctor who asked for it;
- ``doctor``: only the doctor who asked for it.

The viewing doctor's department is the one of their ``base_user`` record when the gateway
holds it (the HIS's own staff table), else the department in the signed link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["OUT_OF_SCOPE_ZH", "ScopeCheck", "ViewerScope", "out_of_scope"]

ViewerScope = Literal["institution", "department", "doctor"]

OUT_OF_SCOPE_ZH = {
    "OTHER_DOCTOR": "该授权由其他医生申请，仅申请医生可调阅 (consent.viewer_scope = doctor)",
    "OTHER_DEPARTMENT": "该授权属于其他科室的就诊，本科室医生不能调阅 (consent.viewer_scope = department)",
    "OTHER_INSTITUTION": "该授权是患者授予其他机构的，本机构不能使用 "
                         "the grant was made to another institution and cannot be used here",
}


@dataclass(frozen=True, slots=True)
class ScopeCheck:
    """The facts the decision needs: who asked for the grant and who wants to view."""

    grant_doctor: str
    grant_dept: str
    encounter_dept: str
    viewer: str
    viewer_dept: str


def out_of_scope(scope: ViewerScope, check: ScopeCheck) -> str | None:
    """None when the viewer may use the grant, else the refusal code (a key of OUT_OF_SCOPE_ZH)."""
    if scope == "institution" or check.viewer == check.grant_doctor:
        return None
    if scope == "doctor":
        return "OTHER_DOCTOR"
    dept = check.encounter_dept or check.grant_dept
    return None if dept and check.viewer_dept == dept else "OTHER_DEPARTMENT"
