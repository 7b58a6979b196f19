"""Patient authorization to view province-wide records: state machine, windows, service."""

from hisbridge.sharing.consent.errors import ConsentProblem
from hisbridge.sharing.consent.model import (
    Channel,
    Consent,
    EncounterRef,
    EncounterType,
    Operator,
    PatientIdentity,
)
from hisbridge.sharing.consent.states import Event, Status, next_status, reconcile

__all__ = [
    "Channel",
    "Consent",
    "ConsentProblem",
    "EncounterRef",
    "EncounterType",
    "Event",
    "Operator",
    "PatientIdentity",
    "Status",
    "next_status",
    "reconcile",
]
