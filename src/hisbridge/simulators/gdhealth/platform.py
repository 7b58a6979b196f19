"""The simulated provincial platform's behaviour: person index, authorizations, records.

Plain state + rules, driven by an injected clock; ``app.py`` puts HTTP around it. Expiry is
lazy (checked on every call and by ``sweep``); status changes queue callbacks to the hospital.

Everything is held in memory and bounded by ``history`` (1,000 by default): the SMS outbox,
the patient notices and the callbacks keep their newest ``history`` entries; ended
authorizations and authorization codes beyond ``history`` are forgotten oldest first by
``sweep`` (open ones are always kept: their TTL bounds them).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hisbridge._clock import Clock
from hisbridge.privacy import mask_id_number, mask_name, mask_phone
from hisbridge.simulators.gdhealth.content import SimDocument, make_documents
from hisbridge.simulators.gdhealth.notices import app_text, code_text, requester, sms_text
from hisbridge.simulators.gdhealth.residents import OTHER_ORGS, Resident, make_residents

__all__ = ["Recent", "SimAuthorization", "SimError", "SimPlatform"]

_TTL_MIN = {"SMS": 10, "APP": 30, "AUTH_CODE": 10}
_BOOKING_TTL = timedelta(days=7)
_MAX_GRANT = timedelta(days=120)
_ENDED_CODE = {
    "REVOKED": "3007",
    "EXPIRED": "3008",
    "DENIED": "3006",
    "CANCELLED": "3008",
    "CLOSED": "3008",
    "PENDING": "3008",
}


class SimError(Exception):
    def __init__(self, code: str, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


@dataclass(slots=True)
class SimAuthorization:
    auth_id: str
    person_key: str
    org_code: str
    channel: str
    encounter: dict[str, Any]
    operator: dict[str, Any]
    status: str
    created_at: datetime
    request_expires_at: datetime
    requested_valid_to: datetime | None
    callback_url: str | None
    granted_at: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    grantee: dict[str, Any] = field(default_factory=dict)
    sms_code: str | None = None
    sms_attempts: int = 0
    channel_info: dict[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "authId": self.auth_id,
            "status": self.status,
            "channel": self.channel,
            "personKey": self.person_key,
            "grantee": {
                "orgCode": self.org_code,
                "deptCode": self.operator.get("deptCode"),
                "userId": self.operator.get("userId"),
            },
            "encounter": self.encounter,
            "createdAt": iso(self.created_at),
            "requestExpiresAt": iso(self.request_expires_at),
            "grantedAt": iso(self.granted_at),
            "validFrom": iso(self.valid_from),
            "validTo": iso(self.valid_to),
            "revokedAt": iso(self.ended_at) if self.status == "REVOKED" else None,
            "reason": self.reason,
            "channelInfo": self.channel_info,
        }


class Recent(list[dict[str, Any]]):
    """A list that keeps only its newest ``keep`` entries."""

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep

    def append(self, item: dict[str, Any]) -> None:
        super().append(item)
        if len(self) > self.keep:
            del self[: len(self) - self.keep]


class SimPlatform:
    """State of the simulated platform; every method takes and returns plain values."""

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int,
        residents: int,
        own_org: tuple[str, str],
        sms_max_attempts: int = 5,
        history: int = 1000,
    ) -> None:
        self.clock, self.seed = clock, seed
        self.rng = random.Random(seed)
        self.residents = make_residents(seed, residents)
        anchor = clock.now()
        self.documents: dict[str, list[SimDocument]] = {
            r.person_key: make_documents(r, seed, anchor, own_org) for r in self.residents
        }
        self.auths: dict[str, SimAuthorization] = {}
        self.org_names = dict(OTHER_ORGS) | {own_org[0]: own_org[1]}  # the platform's register
        self.history = history
        self.sms_outbox = Recent(history)
        # 粤健通 messages and pushed codes, as shown
        self.notices = Recent(history)
        self.auth_codes: dict[str, dict[str, Any]] = {}
        self.callbacks = Recent(history)  # with their outcome
        self.sms_max_attempts = sms_max_attempts
        self._serial = 0

    # -- people ------------------------------------------------------------------------

    def find_person(self, id_no: str | None, ehc_code: str | None) -> Resident:
        for person in self.residents:
            if (id_no and person.id_no == id_no.upper()) or (ehc_code and person.ehc_code == ehc_code):
                return person
        raise SimError("2001", "person not found")

    def person(self, person_key: str) -> Resident:
        return next(p for p in self.residents if p.person_key == person_key)

    def resolve(self, id_no: str | None, name: str | None, ehc: str | None) -> dict[str, Any]:
        person = self._identify(id_no, name, ehc)
        return {
            "personKey": person.person_key,
            "nameMasked": mask_name(person.name),
            "idNoMasked": mask_id_number(person.id_no),
            "hasYjtAccount": person.has_yjt,
            "hasRealNamePhone": bool(person.phone),
            "phoneMasked": mask_phone(person.phone) if person.phone else None,
            "isMinor": person.age_years < 18,
            "guardians": [],
        }

    def _identify(self, id_no: str | None, name: str | None, ehc: str | None) -> Resident:
        person = self.find_person(id_no, ehc)
        if name and name != person.name:
            raise SimError("2002", "identity mismatch")
        return person

    # -- authorizations ----------------------------------------------------------------

    def _new_id(self) -> str:
        self._serial += 1
        return f"GDA{self.clock.now():%Y%m%d}{self.seed % 1000:03d}{self._serial:06d}"

    def _open_for(self, person_key: str, org: str, encounter: dict[str, Any]) -> SimAuthorization | None:
        key = (encounter.get("encounterType"), encounter.get("encounterId"))
        for auth in self.auths.values():
            same = (auth.encounter.get("encounterType"), auth.encounter.get("encounterId")) == key
            if (
                same
                and auth.person_key == person_key
                and auth.org_code == org
                and auth.status in ("PENDING", "GRANTED")
            ):
                return auth
        return None

    def apply(self, org: str, data: dict[str, Any], id_no: str | None, name: str | None) -> SimAuthorization:
        """A2: create a PENDING request (SMS sent / 粤健通 pushed / code pushed via a third party)."""
        self.sweep()
        patient = data.get("patient") or {}
        person = self._identify(id_no, name, patient.get("ehcCode"))
        channel = str(data.get("channel", ""))
        if channel not in ("APP", "SMS", "BOOKING", "AUTH_CODE"):
            raise SimError("3009", f"channel {channel} cannot be applied for")
        if channel == "SMS" and not person.phone:
            raise SimError("2004", "no real-name phone")
        if channel in ("APP", "BOOKING") and not person.has_yjt:
            raise SimError("2005", "no 粤健通 account")
        encounter = dict(data.get("encounter") or {})
        existing = self._open_for(person.person_key, org, encounter)
        if existing is not None:
            raise SimError("3001", "open authorization exists", existing.wire())
        now = self.clock.now()
        wanted = _parse(data.get("requestedValidTo"))
        ttl = _request_ttl(channel, now, _parse(data.get("requestExpiresAt")))
        auth = SimAuthorization(
            self._new_id(),
            person.person_key,
            org,
            channel,
            encounter,
            dict(data.get("operator") or {}),
            "PENDING",
            now,
            ttl,
            wanted,
            data.get("callbackUrl"),
            grantee=dict(data.get("grantee") or {}),
        )
        self.auths[auth.auth_id] = auth
        if channel == "SMS":
            self._send_sms(auth, person)
        elif channel == "AUTH_CODE":  # flows.md §4.4 reading (a): the platform pushes a code
            issued = self.issue_code(person.person_key, auth.auth_id)
            self._notify(auth, code_text(self.requester(auth), issued["authCode"], _TTL_MIN["AUTH_CODE"]))
            auth.channel_info = {"codePushed": True}
        else:
            self._notify(auth, app_text(self.requester(auth), auth.request_expires_at))
            auth.channel_info = {"pushed": True}
        return auth

    def requester(self, auth: SimAuthorization) -> str:
        """The requesting institution as the patient reads it: the name it sent, else the name
        on the platform's register — never its code."""
        name = str(auth.grantee.get("orgName") or "") or self.org_names.get(auth.org_code, "")
        if not name:
            raise SimError("1004", f"institution {auth.org_code} has no registered name")
        return requester(name, str(auth.grantee.get("deptName") or auth.operator.get("deptName") or ""))

    def _notify(self, auth: SimAuthorization, text: str) -> None:
        self.notices.append({"authId": auth.auth_id, "personKey": auth.person_key,
                             "channel": auth.channel, "sentAt": self.clock.now().isoformat(),
                             "text": text})

    def _send_sms(self, auth: SimAuthorization, person: Resident) -> None:
        code = f"{self.rng.randrange(0, 10**6):06d}"
        auth.sms_code = code
        expires = self.clock.now() + timedelta(minutes=_TTL_MIN["SMS"])
        self.sms_outbox.append(
            {
                "authId": auth.auth_id,
                "phone": person.phone,
                "code": code,
                "sentAt": self.clock.now().isoformat(),
                "expiresAt": expires.isoformat(),
                "text": sms_text(self.requester(auth), code, _TTL_MIN["SMS"]),
            }
        )
        auth.channel_info = {
            "smsSent": True,
            "phoneMasked": mask_phone(person.phone or ""),
            "codeLength": 6,
            "codeExpiresAt": expires.isoformat(),
        }

    def auth(self, auth_id: str, org: str | None = None) -> SimAuthorization:
        self.sweep()
        found = self.auths.get(auth_id)
        if found is None or (org is not None and found.org_code != org):
            raise SimError("4001", "authorization not found")
        return found

    def resend_sms(self, org: str, auth_id: str) -> SimAuthorization:
        auth = self._pending(org, auth_id, "SMS")
        self._send_sms(auth, self.person(auth.person_key))
        return auth

    def verify_sms(self, org: str, auth_id: str, code: str) -> SimAuthorization:
        auth = self._pending(org, auth_id, "SMS")
        if auth.sms_attempts >= self.sms_max_attempts:
            raise SimError("3004", "locked")
        if code != auth.sms_code:
            auth.sms_attempts += 1
            left = self.sms_max_attempts - auth.sms_attempts
            raise SimError("3004" if left <= 0 else "3003", "wrong code", {"remaining": left})
        self._grant(auth)
        return auth

    def _pending(self, org: str, auth_id: str, channel: str) -> SimAuthorization:
        auth = self.auth(auth_id, org)
        if auth.status == "EXPIRED" and auth.granted_at is None:
            raise SimError("3002", "request expired")
        if auth.status != "PENDING" or auth.channel != channel:
            raise SimError(_ENDED_CODE.get(auth.status, "3008"), f"status {auth.status}")
        return auth

    def _grant(self, auth: SimAuthorization) -> None:
        now = self.clock.now()
        cap = now + _MAX_GRANT
        auth.status, auth.granted_at, auth.valid_from = "GRANTED", now, now
        auth.valid_to = min(auth.requested_valid_to or cap, cap)
        auth.sms_code = None
        self._queue_callback(auth, "PATIENT_CONSENTED")

    def issue_code(self, person_key: str, auth_id: str | None = None) -> dict[str, Any]:
        """Channel 4.4: a third-party app shows the patient a short-lived authorization code,
        either asked for by the patient (no ``auth_id``) or pushed for a pending request."""
        alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
        code = (
            "GD-"
            + "".join(self.rng.choice(alphabet) for _ in range(4))
            + "-"
            + "".join(self.rng.choice(alphabet) for _ in range(2))
        )
        expires = self.clock.now() + timedelta(minutes=_TTL_MIN["AUTH_CODE"])
        entry = {
            "authCode": code,
            "personKey": person_key,
            "expiresAt": expires,
            "used": False,
            "authId": auth_id,
        }
        self.auth_codes[code] = entry
        return {"authCode": code, "expiresAt": expires.isoformat(), "authId": auth_id}

    def redeem(self, org: str, data: dict[str, Any], id_no: str | None) -> SimAuthorization:
        entry = self.auth_codes.get(str(data.get("authCode", "")).strip().upper())
        if entry is None or entry["used"] or entry["expiresAt"] < self.clock.now():
            raise SimError("3005", "authorization code invalid or used")
        person = self.person(entry["personKey"])
        if id_no and id_no.upper() != person.id_no:
            raise SimError("2002", "code belongs to another person")
        pushed = self.auths.get(entry["authId"] or "")
        if pushed is not None and pushed.org_code == org and pushed.status == "PENDING":
            entry["used"] = True
            self._grant(pushed)
            return pushed
        encounter = dict(data.get("encounter") or {})
        existing = self._open_for(person.person_key, org, encounter)
        if existing is not None and existing.status == "GRANTED":
            entry["used"] = True
            return existing
        if existing is not None:
            self._end(existing, "CANCELLED", "CHANNEL_SWITCHED", notify=False)
        now = self.clock.now()
        auth = SimAuthorization(
            self._new_id(),
            person.person_key,
            org,
            "AUTH_CODE",
            encounter,
            dict(data.get("operator") or {}),
            "PENDING",
            now,
            now,
            None,
            data.get("callbackUrl"),
            grantee=dict(data.get("grantee") or {}),
        )
        auth.requested_valid_to = now + timedelta(days=1)
        self.auths[auth.auth_id] = auth
        entry["used"] = True
        self._grant(auth)
        auth.callback_url = auth.callback_url  # redeem answers synchronously; callback anyway
        return auth

    def cancel(self, org: str, auth_id: str, reason: str) -> SimAuthorization:
        auth = self.auth(auth_id, org)
        if auth.status == "PENDING":
            self._end(auth, "CANCELLED", reason, notify=False)
        elif auth.status == "GRANTED":
            self._end(auth, "CLOSED", reason, notify=False)
        return auth

    # -- the patient's side (/sim) ------------------------------------------------------

    def patient_decides(self, auth_id: str, decision: str) -> SimAuthorization:
        """``approve`` / ``deny`` a pending request, ``revoke`` a grant, as the patient would."""
        auth = self.auth(auth_id)
        if decision == "approve" and auth.status == "PENDING" and auth.channel in ("APP", "BOOKING"):
            self._grant(auth)
        elif decision == "deny" and auth.status == "PENDING":
            self._end(auth, "DENIED", "PATIENT_DENIED")
        elif decision == "revoke" and auth.status == "GRANTED":
            self._end(auth, "REVOKED", "PATIENT_REVOKED")
        else:
            raise SimError(
                "3008", f"cannot {decision} a {auth.channel} authorization in status {auth.status}"
            )
        return auth

    def _end(self, auth: SimAuthorization, status: str, reason: str, notify: bool = True) -> None:
        auth.status, auth.reason, auth.ended_at = status, reason, self.clock.now()
        auth.sms_code = None
        if notify:
            self._queue_callback(auth, reason)

    def sweep(self) -> int:
        """Expire requests past their TTL and grants past their validity; forget the oldest
        ended authorizations and codes beyond ``history``."""
        now, ended = self.clock.now(), 0
        for auth in self.auths.values():
            if auth.status == "PENDING" and now > auth.request_expires_at:
                self._end(auth, "EXPIRED", "REQUEST_TIMEOUT")
                ended += 1
            elif auth.status == "GRANTED" and auth.valid_to and now > auth.valid_to:
                self._end(auth, "EXPIRED", "VALIDITY_END")
                ended += 1
        _forget_oldest(self.auths, self.history, lambda a: a.status not in ("PENDING", "GRANTED"))
        _forget_oldest(self.auth_codes, self.history, lambda e: e["used"] or e["expiresAt"] < now)
        return ended

    def _queue_callback(self, auth: SimAuthorization, reason: str) -> None:
        if not auth.callback_url:
            return
        self.callbacks.append(
            {
                "url": auth.callback_url,
                "org": auth.org_code,  # whose partner signs it
                "delivered": False,
                "attempts": 0,
                "lastError": None,
                "payload": {
                    "event": "AUTHORIZATION_STATUS_CHANGED",
                    "authId": auth.auth_id,
                    "status": auth.status,
                    "occurredAt": self.clock.now().isoformat(),
                    "reason": reason,
                },
            }
        )

    # -- records -------------------------------------------------------------------------

    def granted(self, org: str, auth_id: str) -> SimAuthorization:
        """The authorization if it is a current grant to ``org``; else the A.4 refusal."""
        auth = self.auth(auth_id, org)
        if auth.status != "GRANTED":
            raise SimError(_ENDED_CODE.get(auth.status, "3008"), f"status {auth.status}")
        return auth

    def index(self, org: str, data: dict[str, Any]) -> dict[str, Any]:
        auth = self.granted(org, str(data.get("authId", "")))
        wanted = set(data.get("categories") or [])
        start, end = _parse_day(data.get("dateFrom")), _parse_day(data.get("dateTo"))
        items = [
            d.index_item()
            for d in self.documents[auth.person_key]
            if (not wanted or d.category in wanted)
            and not (data.get("excludeOwnOrg") and d.org_code == org)
            and (start is None or d.effective_time.date() >= start)
            and (end is None or d.effective_time.date() <= end)
        ]
        return {"total": len(items), "items": items}

    def document(self, org: str, data: dict[str, Any]) -> dict[str, Any]:
        auth = self.granted(org, str(data.get("authId", "")))
        for doc in self.documents[auth.person_key]:
            if doc.doc_id == data.get("docId"):
                return {
                    **doc.index_item(),
                    "format": "JSON",
                    "mimeType": "application/json",
                    "content": None,
                    "structured": doc.structured,
                }
        raise SimError("4001", "document not found")


def _request_ttl(channel: str, now: datetime, asked: datetime | None) -> datetime:
    """How long a request waits: the platform's own limit, or earlier if the hospital asks
    (a booking request ends when its slot starts)."""
    own = now + (_BOOKING_TTL if channel == "BOOKING" else timedelta(minutes=_TTL_MIN.get(channel, 30)))
    return min(own, asked) if asked else own


def _parse(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _parse_day(value: Any) -> Any:
    moment = _parse(value)
    return moment.date() if moment else None


def _forget_oldest(items: dict[str, Any], keep: int, ended: Callable[[Any], bool]) -> None:
    """Drop ended entries, oldest first (dicts keep insertion order), down to ``keep``."""
    excess = len(items) - keep
    if excess > 0:
        for key in [k for k, v in items.items() if ended(v)][:excess]:
            del items[key]
