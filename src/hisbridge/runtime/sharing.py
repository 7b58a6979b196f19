"""One call wires the Guangdong record-sharing services for the gateway app (and the demo).

    services = build_gdhealth_services(settings, engine, clock)
    app = create_app(settings, engine, clock=clock, services=services.for_app())

``for_app()`` puts the consent service, encounter hooks, record service and audit recorder
into the web app's ``AppServices``. ``viewer_url`` builds a signed workstation URL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

import httpx
from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.audit.log import AuditLog, AuditRecorder
from hisbridge.connectors.gdhealth.client import JsonSignedAdapter
from hisbridge.settings import Settings
from hisbridge.sharing.consent.encounters import EncounterHooks
from hisbridge.sharing.consent.platform import ProvincialPlatform
from hisbridge.sharing.consent.repository import ConsentRepository
from hisbridge.sharing.consent.service import ConsentService
from hisbridge.sharing.documents.cache import GrantBoundCache
from hisbridge.sharing.documents.service import RecordService
from hisbridge.store.directory import StoreDoctorDirectory
from hisbridge.web.services import NO_SERVICES, AppServices
from hisbridge.web.signing import signed_query

__all__ = ["GdHealthServices", "build_gdhealth_services", "viewer_url"]

_log = logging.getLogger("hisbridge.gdhealth")


@dataclass(slots=True)
class GdHealthServices:
    consents: ConsentService
    encounter_hooks: EncounterHooks
    records: RecordService
    audit: AuditRecorder
    platform: ProvincialPlatform

    def for_app(self, base: AppServices = NO_SERVICES) -> AppServices:
        """``base`` with the record-sharing services the web app's concerns read."""
        return replace(base, consents=self.consents, encounter_hooks=self.encounter_hooks,
                       records=self.records, audit=self.audit)

    async def aclose(self) -> None:
        await self.platform.aclose()


def build_gdhealth_services(
    settings: Settings,
    engine: Engine,
    clock: Clock = system_clock,
    *,
    platform: ProvincialPlatform | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> GdHealthServices:
    """Consent service, record service, encounter hooks and audit over ``engine``.

    ``platform`` replaces the provincial adapter (another wire shape, or a fake); ``transport``
    lets tests reach the simulator in-process.
    """
    gd = settings.gdhealth
    for problem in gd.problems():  # requests are refused until fixed; say so at startup
        _log.error("gdhealth not ready: %s", problem)
    platform = platform or JsonSignedAdapter(gd, clock=clock, transport=transport)
    log = AuditLog(engine, algorithm=gd.audit_hash, clock=clock)
    audit = AuditRecorder(log, key_secret=settings.web.secret_key.get_secret_value())
    consents = ConsentService(ConsentRepository(engine, gd.org_code), platform, audit, gd, clock)
    cache = GrantBoundCache(gd.cache_max_entries)
    consents.on_end(cache.purge)  # cached documents never outlive the grant
    records = RecordService(consents, platform, audit, cache, clock,
                            scope=settings.consent.viewer_scope,
                            doctor_dept=StoreDoctorDirectory(engine).dept_of)
    return GdHealthServices(consents, EncounterHooks(consents), records, audit, platform)


def viewer_url(
    settings: Settings,
    base_url: str,
    *,
    patient_id: str,
    encounter_type: str,
    encounter_id: str,
    user_id: str,
    dept_code: str,
    now: datetime,
    user_name: str | None = None,
    ttl_s: int = 43200,
) -> str:
    """A signed ``/ws/shared`` URL for the doctor's workstation (same scheme as ``/ws``)."""
    params = {
        "patientId": patient_id,
        "encounterType": encounter_type.upper(),
        "encounterId": encounter_id,
        "userId": user_id,
        "deptCode": dept_code,
        "userName": user_name,
    }
    query = signed_query(params, settings.web.secret_key.get_secret_value(), now=now.timestamp(), ttl_s=ttl_s)
    return f"{base_url.rstrip('/')}/ws/shared?{query}"
