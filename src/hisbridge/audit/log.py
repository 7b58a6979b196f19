"""The audit log in the store: append (hash-chained), read in order, verify, prune.

Appends are serialized: an in-process lock, and ``seq`` as the primary key so that two
processes racing for the same ``seq`` make one of them retry instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select

from hisbridge import _ids, _json
from hisbridge._clock import CHINA_TZ, Clock, system_clock
from hisbridge._operator import Operator
from hisbridge.audit.chain import GENESIS, PRUNED, AuditEntry, ChainBreak, entry_hash, verify_chain
from hisbridge.store.errors import INTEGRITY_ERRORS
from hisbridge.store.schema.audit import audit_log

__all__ = ["AuditLog", "AuditRecorder", "format_time", "patient_key"]


def format_time(moment: datetime) -> str:
    """Fixed-width China-time text, so that stored times hash identically everywhere."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M:%S.%f+08:00")


def patient_key(secret: str, his_patient_id: str) -> str:
    """A keyed hash of the HIS patient id: finds a patient's entries without storing the id."""
    data = his_patient_id.strip().encode()
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()[:32]


class AuditLog:
    """Append-only, hash-chained audit entries in ``audit_log``."""

    def __init__(self, engine: Engine, *, algorithm: str = "sm3", clock: Clock = system_clock) -> None:
        self.engine = engine
        self._algorithm = algorithm
        self._clock = clock
        self._lock = threading.Lock()

    def append(self, action: str, actor_id: str, **fields: Any) -> AuditEntry:
        """Write one entry after the current last one; returns it with its hash."""
        draft = AuditEntry(
            seq=0,
            id=_ids.new_id(),
            occurred_at=format_time(self._clock.now()),
            action=action,
            actor_id=actor_id,
            **fields,
        )
        with self._lock:
            for _ in range(10):
                try:
                    return self._insert(draft)
                except INTEGRITY_ERRORS:
                    continue
        raise RuntimeError("audit append kept colliding")  # pragma: no cover

    def _insert(self, draft: AuditEntry) -> AuditEntry:
        with self.engine.begin() as conn:
            last = conn.execute(
                select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
            ).first()
            seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
            entry = replace(draft, seq=seq, prev_hash=prev)
            entry = replace(entry, hash=entry_hash(entry, prev, self._algorithm))
            conn.execute(audit_log.insert().values(**asdict(entry)))
        return entry

    def entries(self, batch: int = 1000) -> Iterator[AuditEntry]:
        """Every entry in ``seq`` order, read in batches (bounded memory)."""
        after = 0
        while True:
            with self.engine.connect() as conn:
                rows = (
                    conn.execute(
                        select(audit_log)
                        .where(audit_log.c.seq > after)
                        .order_by(audit_log.c.seq)
                        .limit(batch)
                    )
                    .mappings()
                    .all()
                )
            if not rows:
                return
            for row in rows:
                yield AuditEntry(**dict(row))
            after = rows[-1]["seq"]

    def verify(self) -> tuple[int, ChainBreak | None]:
        """(entries checked, first broken entry or None)."""
        return verify_chain(self.entries(), algorithm=self._algorithm, prune_marker=self._prune_marker())

    def _prune_marker(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            detail = conn.execute(
                select(audit_log.c.detail)
                .where(audit_log.c.action == PRUNED)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            ).scalar()
        return _json.loads(detail) if detail else None

    def prune(self, retention_days: int) -> int:
        """Delete entries older than the retention period, keeping the chain verifiable."""
        cutoff = format_time(self._clock.now() - timedelta(days=retention_days))
        with self.engine.connect() as conn:
            last_old = conn.execute(
                select(audit_log.c.seq, audit_log.c.hash)
                .where(audit_log.c.occurred_at < cutoff)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            ).first()
        if last_old is None:
            return 0
        marker = {"throughSeq": last_old.seq, "throughHash": last_old.hash, "cutoff": cutoff}
        self.append(PRUNED, "system", role="SYSTEM", detail=_json.dumps_str(marker))
        with self.engine.begin() as conn:
            gone = conn.execute(delete(audit_log).where(audit_log.c.seq <= last_old.seq))
        return int(gone.rowcount or 0)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar() or 0)


class AuditRecorder:
    """What services call: one line per authorization step or record view."""

    def __init__(self, log: AuditLog, *, key_secret: str, org_code: str = "") -> None:
        self.log = log
        self._secret = key_secret
        # The institution acting (a hospital group's gateway serves several): new entries carry
        # it as ``orgCode`` in their detail; entries written before are left as they were.
        self.org_code = org_code

    def key(self, his_patient_id: str) -> str:
        return patient_key(self._secret, his_patient_id)

    def record_for(self, action: str, operator: Operator, consent: Any, **fields: Any) -> AuditEntry:
        """Append ``action`` about ``consent``: patient masked and keyed, consent and auth ids."""
        return self.record(action, operator, patient_masked=consent.patient_masked,
                           patient_key=self.key(consent.his_patient_id), consent_id=consent.id,
                           auth_id=consent.auth_id, **fields)

    def record(self, action: str, operator: Operator, **fields: Any) -> AuditEntry:
        """Append ``action`` by ``operator``; ``detail`` may be a dict (stored as JSON)."""
        detail = fields.pop("detail", None) or {}
        if self.org_code and isinstance(detail, dict):
            detail = {"orgCode": self.org_code, **detail}
        return self.log.append(
            action,
            operator.user_id,
            actor_name=operator.name,
            role=operator.role,
            dept_code=operator.dept_code,
            client_addr=operator.client_addr,
            detail=_json.dumps_str(detail, sort_keys=True),
            **{k: ("" if v is None else str(v)) for k, v in fields.items()},
        )
