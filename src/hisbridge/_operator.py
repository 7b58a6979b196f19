"""Who acts: the hospital user behind a consent request, a record view or a console action.

A core value (no I/O): the consent service and the audit log both name it, and the audit log
sits below the consent service, so it lives here; ``hisbridge.sharing.consent.model`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SYSTEM", "Operator"]


@dataclass(frozen=True, slots=True)
class Operator:
    """The hospital user acting (doctor, clerk, or ``system`` for automatic hooks)."""

    user_id: str
    name: str = ""
    role: str = "DOCTOR"
    dept_code: str = ""
    dept_name: str = ""
    client_addr: str = ""


SYSTEM = Operator(user_id="system", name="hisbridge", role="SYSTEM")
