"""One call wires the Guangdong record-sharing services for the gateway app (and the demo).

    services = build_gdhealth_services(settings, engine, clock)
    app = create_app(settings, engine, clock=clock, services=services.for_app())

One set of services per institution (a hospital group's 医共体 members each have their own
partner id, secrets and SM4 key); ``for_app()`` puts the default institution's consent
service, encounter hooks, record service and audit recorder, and the whole ``SharingGroup``
the web picks from by ``orgCode``, into the web app's ``AppServices``. ``viewer_url`` builds a
signed workstation URL.
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
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.sharing.consent.encounters import EncounterHooks
from hisbridge.sharing.consent.platform import ProvincialPlatform
from hisbridge.sharing.consent.repository import ConsentRepository
from hisbridge.sharing.consent.service import ConsentService
from hisbridge.sharing.documents.cache import GrantBoundCache
from hisbridge.sharing.documents.service import DocumentService
from hisbridge.sharing.group import InstitutionSharing, SharingGroup
from hisbridge.store.directory import StoreDoctorDirectory
from hisbridge.web.services import NO_SERVICES, AppServices
from hisbridge.web.signing import signed_query

__all__ = ["GdHealthServices", "build_gdhealth_services", "viewer_url"]

_log = logging.getLogger("hisbridge.gdhealth")


@dataclass(slots=True)
class GdHealthServices:
    """The default institution's services (the single hospital's) and the whole ``group``."""

    consents: ConsentService
    encounter_hooks: EncounterHooks
    documents: DocumentService
    audit: AuditRecorder
    platform: ProvincialPlatform
    group: SharingGroup
    platforms: tuple[ProvincialPlatform, ...] = ()

    def for_app(self, base: AppServices = NO_SERVICES) -> AppServices:
        """``base`` with the record-sharing services the web app's concerns read."""
        return replace(base, consents=self.consents, encounter_hooks=self.encounter_hooks,
                       documents=self.documents, audit=self.audit, sharing=self.group)

    async def aclose(self) -> None:
        for platform in self.platforms or (self.platform,):
            await platform.aclose()


def build_gdhealth_services(
    settings: Settings,
    engine: Engine,
    clock: Clock = system_clock,
    *,
    platform: ProvincialPlatform | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> GdHealthServices:
    """Consent service, record service, encounter hooks and audit over ``engine``, one set
    per institution (``settings.institution_list()``), each with its own provincial adapter.

    ``platform`` replaces the provincial adapter (another wire shape, or a fake) of every
    institution; ``transport`` lets tests reach the simulator in-process.
    """
    institutions = settings.institution_list()
    log = AuditLog(engine, algorithm=settings.gdhealth.audit_hash, clock=clock)
    legacy = _legacy_owner(settings.gdhealth.org_code, [i.gdhealth.org_code for i in institutions])
    partners = [i.gdhealth.partner_id for i in institutions]
    if len(set(partners)) < len(partners):  # callbacks are routed by the partner id they carry
        _log.warning("gdhealth: institutions share a partner id; its callbacks go to the first of them")
    members, platforms = [], []
    for n, institution in enumerate(institutions):
        gd = institution.gdhealth
        for problem in gd.problems():  # requests are refused until fixed; say so at startup
            _log.error("gdhealth not ready (%s): %s", gd.org_code, problem)
        own = platform or JsonSignedAdapter(gd, clock=clock, transport=transport)
        members.append(_institution(settings, engine, gd, own, log, clock, owns_unmarked=n == legacy))
        platforms.append(own)
    first = members[0]
    audit = first.consents.audit
    return GdHealthServices(first.consents, first.hooks, first.documents, audit, platforms[0],
                            SharingGroup(members), tuple(dict.fromkeys(platforms)))


def _legacy_owner(top_org: str, orgs: list[str]) -> int:
    """Which institution owns rows stored before groups (org_code NULL): the one with the
    top-level ``gdhealth.org_code`` (the original single hospital), else the first."""
    return orgs.index(top_org) if top_org in orgs else 0


def _institution(settings: Settings, engine: Engine, gd: GdHealthSettings, platform: ProvincialPlatform,
                 log: AuditLog, clock: Clock, *, owns_unmarked: bool) -> InstitutionSharing:
    audit = AuditRecorder(log, key_secret=settings.web.secret_key.get_secret_value(),
                          org_code=gd.org_code)
    repo = ConsentRepository(engine, gd.org_code, owns_unmarked=owns_unmarked)
    consents = ConsentService(repo, platform, audit, gd, clock)
    cache = GrantBoundCache(gd.cache_max_entries)
    consents.on_end(cache.purge)  # cached documents never outlive the grant
    documents = DocumentService(consents, platform, audit, cache, clock,
                            scope=settings.consent.viewer_scope,
                            doctor_dept=StoreDoctorDirectory(engine).dept_of)
    return InstitutionSharing(gd.org_code, gd.partner_id, consents, EncounterHooks(consents), documents)


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
    org_code: str | None = None,
    ttl_s: int = 43200,
) -> str:
    """A signed ``/ws/shared`` URL for the doctor's workstation (same scheme as ``/ws``);
    ``org_code`` names the doctor's institution (required when the gateway serves several)."""
    params = {
        "patientId": patient_id,
        "encounterType": encounter_type.upper(),
        "encounterId": encounter_id,
        "userId": user_id,
        "deptCode": dept_code,
        "userName": user_name,
        "orgCode": org_code,
    }
    query = signed_query(params, settings.web.secret_key.get_secret_value(), now=now.timestamp(), ttl_s=ttl_s)
    return f"{base_url.rstrip('/')}/ws/shared?{query}"
