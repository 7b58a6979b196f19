"""The consent store: ``gd_consent`` and ``gd_encounter`` rows in and out (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, or_, select, update

from hisbridge import _json
from hisbridge._clock import CHINA_TZ
from hisbridge.errors import Terminal
from hisbridge.sharing.consent.callbacks import CallbackNotice
from hisbridge.sharing.consent.model import Channel, Consent, EncounterRef, EncounterType
from hisbridge.store.errors import INTEGRITY_ERRORS
from hisbridge.store.schema.consent import gd_callback, gd_consent, gd_encounter

__all__ = ["ConsentRepository", "DuplicateOpen", "ForeignEncounter", "StoredEncounter"]

_TIMES = (
    "created_at",
    "updated_at",
    "request_expires_at",
    "granted_at",
    "valid_from",
    "valid_to",
    "ended_at",
)


# The transaction of the ``atomic`` block running in this task, if any.
_ATOMIC: ContextVar[Connection | None] = ContextVar("consent_atomic", default=None)


class DuplicateOpen(Terminal):
    """Another open consent exists for the same patient + institution + encounter."""


class ForeignEncounter(Terminal):
    """The encounter is already known as another institution's visit."""


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive times; we only ever write China time, so re-attach it.
    if value is None:
        return None
    return value.replace(tzinfo=CHINA_TZ) if value.tzinfo is None else value.astimezone(CHINA_TZ)


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(CHINA_TZ) if value is not None else None


@dataclass(frozen=True, slots=True)
class StoredEncounter:
    """An encounter known to the consent service, with the patient's encrypted identity."""

    ref: EncounterRef
    his_patient_id: str
    id_type: str
    id_no_enc: str
    name_enc: str
    ehc_code: str | None
    state: str


class ConsentRepository:
    """One institution's consents and encounters. Rows stored before hospital groups carry no
    ``org_code``; they belong to the institution built with ``owns_unmarked`` (the original
    single hospital). Lookups by consent id see every institution's rows, so that a grant
    used by the wrong institution is refused (and audited) rather than not found."""

    def __init__(self, engine: Engine, org_code: str, *, owns_unmarked: bool = True) -> None:
        self._engine = engine
        self._org = org_code
        self._owns_unmarked = owns_unmarked

    @property
    def org_code(self) -> str:
        return self._org

    def owns(self, org_code: str | None) -> bool:
        """Is a row marked ``org_code`` this institution's?"""
        return org_code == self._org or (org_code is None and self._owns_unmarked)

    def _mine(self, column: Any) -> Any:
        if self._owns_unmarked:
            return or_(column == self._org, column.is_(None))
        return column == self._org

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Writes inside the block commit together or not at all (one HIS event, one outcome).

        Keep awaits out of the block: SQLite holds its write lock until the block ends.
        """
        if _ATOMIC.get() is not None:
            yield
            return
        with self._engine.begin() as conn:
            token = _ATOMIC.set(conn)
            try:
                yield
            finally:
                _ATOMIC.reset(token)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        conn = _ATOMIC.get()
        if conn is not None:
            yield conn
            return
        with self._engine.begin() as own:
            yield own

    @contextmanager
    def encounter_restored_on_error(self, encounter_type: str, encounter_id: str) -> Iterator[None]:
        """If the block fails, put the encounter's row back as it was before the block.

        For events that must note the encounter before asking the platform (the request reads
        it back) and so cannot hold one transaction across the call: a refused event then
        leaves nothing behind.
        """
        key = (gd_encounter.c.encounter_type == encounter_type,
               gd_encounter.c.encounter_id == encounter_id)
        with self._engine.connect() as conn:
            before = conn.execute(select(gd_encounter).where(*key)).mappings().first()
        try:
            yield
        except BaseException:
            with self._writing() as conn:
                conn.execute(delete(gd_encounter).where(*key))
                if before is not None:
                    conn.execute(gd_encounter.insert().values(**dict(before)))
            raise

    def open_key(self, consent: Consent) -> str:
        return "|".join(
            (self._org, consent.his_patient_id, consent.encounter_type.value, consent.encounter_id)
        )

    def _values(self, consent: Consent) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": consent.id,
            "auth_id": consent.auth_id,
            "his_patient_id": consent.his_patient_id,
            "patient_masked": consent.patient_masked,
            "encounter_type": consent.encounter_type.value,
            "encounter_id": consent.encounter_id,
            "channel": consent.channel.value,
            "status": consent.status,
            "open_key": self.open_key(consent) if consent.is_open() else None,
            "operator_id": consent.operator_id,
            "dept_code": consent.dept_code,
            "reason": consent.reason,
            "sms_attempts": consent.sms_attempts,
            "channel_info": _json.dumps_str(consent.channel_info),
            "org_code": consent.org_code,
        }
        values.update({name: _local(getattr(consent, name)) for name in _TIMES})
        return values

    def insert(self, consent: Consent) -> None:
        """Store a new consent; ``DuplicateOpen`` if the encounter already has an open one."""
        try:
            with self._engine.begin() as conn:
                conn.execute(gd_consent.insert().values(**self._values(consent)))
        except INTEGRITY_ERRORS as exc:
            raise DuplicateOpen(consent.id) from exc

    def save(self, consent: Consent, *, expect_status: str | None = None) -> bool:
        """Write the consent; with ``expect_status`` only if it still has that status, so that
        of two deliveries racing to the same change one wins (False for the other)."""
        values = self._values(consent)
        where = [gd_consent.c.id == consent.id]
        if expect_status is not None:
            where.append(gd_consent.c.status == expect_status)
        with self._writing() as conn:
            done = conn.execute(update(gd_consent).where(*where).values(**values))
        return bool(done.rowcount)

    def claim_callback(self, notice: CallbackNotice, now: datetime) -> int:
        """Note one delivery of ``notice``: 0 for the first, else how many came before."""
        try:
            with self._engine.begin() as conn:
                conn.execute(gd_callback.insert().values(
                    key=notice.key, auth_id=notice.auth_id[:64], status=notice.status[:16],
                    occurred_at=notice.occurred_at[:40], deliveries=1,
                    first_at=_local(now), last_at=_local(now)))
            return 0
        except INTEGRITY_ERRORS:
            pass
        with self._engine.begin() as conn:
            conn.execute(update(gd_callback).where(gd_callback.c.key == notice.key).values(
                deliveries=gd_callback.c.deliveries + 1, last_at=_local(now)))
            seen = conn.execute(select(gd_callback.c.deliveries).where(
                gd_callback.c.key == notice.key)).scalar()
        return int(seen or 2) - 1

    def release_callback(self, notice: CallbackNotice) -> None:
        """Forget a delivery we could not act on, so that the platform's retry is handled."""
        with self._engine.begin() as conn:
            conn.execute(gd_callback.delete().where(gd_callback.c.key == notice.key))

    @staticmethod
    def _consent(row: Mapping[str, Any]) -> Consent:
        times = {name: _aware(row[name]) for name in _TIMES}
        return Consent(
            id=row["id"],
            his_patient_id=row["his_patient_id"],
            patient_masked=row["patient_masked"],
            encounter_type=EncounterType(row["encounter_type"]),
            encounter_id=row["encounter_id"],
            channel=Channel(row["channel"]),
            status=row["status"],
            auth_id=row["auth_id"],
            operator_id=row["operator_id"],
            dept_code=row["dept_code"],
            reason=row["reason"],
            sms_attempts=row["sms_attempts"],
            channel_info=_json.loads(row["channel_info"] or "{}"),
            org_code=row["org_code"],
            **times,  # type: ignore[arg-type]
        )

    def _one(self, *where: Any) -> Consent | None:
        query = select(gd_consent).where(*where).order_by(gd_consent.c.created_at.desc()).limit(1)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return self._consent(dict(row)) if row else None

    def get(self, consent_id: str) -> Consent | None:
        return self._one(gd_consent.c.id == consent_id)

    def by_auth_id(self, auth_id: str) -> Consent | None:
        return self._one(gd_consent.c.auth_id == auth_id, self._mine(gd_consent.c.org_code))

    def latest_for(self, his_patient_id: str, encounters: list[tuple[str, str]]) -> Consent | None:
        """The newest consent of the patient for any of ``(type, id)``, open ones first."""
        match = or_(
            *(and_(gd_consent.c.encounter_type == t, gd_consent.c.encounter_id == i) for t, i in encounters)
        )
        base = (gd_consent.c.his_patient_id == his_patient_id, match, self._mine(gd_consent.c.org_code))
        return self._one(*base, gd_consent.c.open_key.is_not(None)) or self._one(*base)

    def open_consents(self, limit: int = 500) -> list[Consent]:
        query = (select(gd_consent)
                 .where(gd_consent.c.open_key.is_not(None), self._mine(gd_consent.c.org_code))
                 .limit(limit))
        with self._engine.connect() as conn:
            return [self._consent(dict(r)) for r in conn.execute(query).mappings()]

    def upsert_encounter(self, enc: StoredEncounter, now: datetime) -> None:
        """Store the encounter as this institution's; ``ForeignEncounter`` if another's."""
        ref = enc.ref
        values = {
            "his_patient_id": enc.his_patient_id,
            "id_type": enc.id_type,
            "id_no_enc": enc.id_no_enc,
            "name_enc": enc.name_enc,
            "ehc_code": enc.ehc_code,
            "dept_code": ref.dept_code,
            "visit_date": ref.visit_date,
            "appointment_id": ref.appointment_id,
            "slot_start": _local(ref.slot_start),
            "admitted_at": _local(ref.admitted_at),
            "discharged_at": _local(ref.discharged_at),
            "state": enc.state,
            "updated_at": _local(now),
        }
        key = (
            gd_encounter.c.encounter_type == ref.encounter_type.value,
            gd_encounter.c.encounter_id == ref.encounter_id,
        )
        with self._writing() as conn:
            known = conn.execute(select(gd_encounter.c.org_code).where(*key)).first()
            if known is not None and not self.owns(known.org_code):
                raise ForeignEncounter(f"{ref.encounter_type.value}:{ref.encounter_id}")
            if known is not None:
                conn.execute(update(gd_encounter).where(*key).values(**values))
            else:
                conn.execute(gd_encounter.insert().values(
                    encounter_type=ref.encounter_type.value, encounter_id=ref.encounter_id,
                    org_code=self._org, **values))

    def encounter(self, encounter_type: str, encounter_id: str) -> StoredEncounter | None:
        query = select(gd_encounter).where(
            gd_encounter.c.encounter_type == encounter_type,
            gd_encounter.c.encounter_id == encounter_id,
            self._mine(gd_encounter.c.org_code),
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return self._encounter(dict(row)) if row else None

    @staticmethod
    def _encounter(row: Mapping[str, Any]) -> StoredEncounter:
        visit: date | None = row["visit_date"]
        ref = EncounterRef(
            encounter_type=EncounterType(row["encounter_type"]),
            encounter_id=row["encounter_id"],
            visit_date=visit,
            appointment_id=row["appointment_id"],
            admitted_at=_aware(row["admitted_at"]),
            discharged_at=_aware(row["discharged_at"]),
            slot_start=_aware(row["slot_start"]),
            dept_code=row["dept_code"],
        )
        return StoredEncounter(
            ref,
            row["his_patient_id"],
            row["id_type"],
            row["id_no_enc"],
            row["name_enc"],
            row["ehc_code"],
            row["state"],
        )
