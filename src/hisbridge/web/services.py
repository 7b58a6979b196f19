"""The services the web app is given, typed, in one frozen object.

``hisbridge.runtime`` builds one ``AppServices`` and passes it to ``create_app``; the mounted
concerns read it with ``services_of(app)``. A concern whose service is None answers 503 or
hides its pages; the web never builds a service itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from starlette.applications import Starlette

from hisbridge.store.ports import Intake

if TYPE_CHECKING:
    from hisbridge.audit.log import AuditRecorder
    from hisbridge.delivery.metrics import DeliveryMetrics
    from hisbridge.project.load import Project
    from hisbridge.sharing.consent.encounters import EncounterHooks
    from hisbridge.sharing.consent.service import ConsentService
    from hisbridge.sharing.documents.service import DocumentService
    from hisbridge.sharing.group import SharingGroup
    from hisbridge.sources.sql_poll import SqlPoller
    from hisbridge.warnings.services import MessageServices

__all__ = ["NO_SERVICES", "AppServices", "DeliveryHandle", "PushCounter", "services_of"]


class DeliveryHandle(Intake, Protocol):
    """The running delivery workers as the web sees them (``runtime.delivery.DeliveryService``):
    the intake pushed records go through, their metrics, and a nudge after a replay."""

    metrics: DeliveryMetrics

    def wake(self) -> None: ...


class PushCounter(Protocol):
    """Where the push API counts what it took (``runtime.activity.Activity``: the summary line)."""

    def pushed(self, accepted: int, held: int) -> None: ...


@dataclass(frozen=True, slots=True)
class AppServices:
    """Everything the runtime built for the web app; None where the settings leave it out."""

    delivery: DeliveryHandle | None = None
    messages: MessageServices | None = None
    consents: ConsentService | None = None
    encounter_hooks: EncounterHooks | None = None
    documents: DocumentService | None = None
    audit: AuditRecorder | None = None
    sharing: SharingGroup | None = None  # every institution's sharing services, by orgCode
    poller: SqlPoller | None = None  # the console's reconciliation page reads the HIS through it
    project: Project | None = None  # pushed records go through its code maps and drug catalogue
    activity: PushCounter | None = None


NO_SERVICES = AppServices()


def services_of(app: Starlette) -> AppServices:
    """The services ``create_app`` was given."""
    found = getattr(app.state, "services", None)
    return found if isinstance(found, AppServices) else NO_SERVICES
