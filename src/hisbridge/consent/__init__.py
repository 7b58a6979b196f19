"""Patient authorization to view province-wide records: state machine, windows, service."""

from hisbridge.consent.errors import ConsentProblem
from hisbridge.consent.model import (
    Channel,
    Consent,
    EncounterRef,
    EncounterType,
    Operator,
    PatientIdentity,
)
from hisbridge.consent.states import Event, Status, next_status, reconcile

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
