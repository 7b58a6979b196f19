"""The hash chain, as pure code: canonical serialization, entry hash, chain verification.

Each entry's ``hash`` = H(canonical(fields) + prev_hash), H being SM3 (default) or SHA-256, and
``prev_hash`` is the previous entry's ``hash`` (``GENESIS`` for the first). Editing a field
breaks that entry's hash; deleting an entry leaves a gap in ``seq`` (and a prev_hash mismatch);
reordering breaks the links. Retention deletes a prefix only after writing an ``AUDIT_PRUNED``
entry that names the last deleted ``seq`` and ``hash``, so the shortened chain still verifies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from hisbridge import _json
from hisbridge._gm import sm3_hex

__all__ = [
    "FIELDS",
    "GENESIS",
    "PRUNED",
    "AuditEntry",
    "ChainBreak",
    "canonical",
    "entry_hash",
    "verify_chain",
]

GENESIS = "0" * 64
PRUNED = "AUDIT_PRUNED"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row: who did what to whose record, under which consent."""

    seq: int
    id: str
    occurred_at: str
    action: str
    actor_id: str
    actor_name: str = ""
    role: str = ""
    dept_code: str = ""
    patient_masked: str = ""
    patient_key: str = ""
    consent_id: str = ""
    auth_id: str = ""
    category: str = ""
    doc_id: str = ""
    client_addr: str = ""
    outcome: str = "ok"
    detail: str = "{}"
    prev_hash: str = GENESIS
    hash: str = ""


FIELDS = tuple(name for name in AuditEntry.__dataclass_fields__ if name not in ("hash", "prev_hash"))


def canonical(entry: AuditEntry) -> bytes:
    """Sorted-key JSON of every field except the two hashes."""
    values = asdict(entry)
    return _json.dumps({name: values[name] for name in FIELDS}, sort_keys=True)


def entry_hash(entry: AuditEntry, prev_hash: str, algorithm: str = "sm3") -> str:
    """The hash the entry must carry when it follows ``prev_hash``."""
    data = canonical(entry) + prev_hash.encode("ascii")
    return sm3_hex(data) if algorithm == "sm3" else hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry at which the chain does not hold, and why."""

    seq: int
    id: str
    reason: str  # altered | missing | relinked | pruned-mismatch

    def describe(self) -> str:
        why = {
            "altered": "内容被修改 content altered",
            "missing": "前一条记录缺失 previous entry missing (gap in seq)",
            "relinked": "链接断开 prev_hash does not match the previous entry",
            "pruned-mismatch": "起始记录与保留期清理标记不符 start does not match prune marker",
        }[self.reason]
        return f"seq={self.seq} id={self.id}: {why}"


def _start_ok(first: AuditEntry, marker: Mapping[str, object] | None) -> bool:
    if first.seq == 1:
        return first.prev_hash == GENESIS
    if marker is None:
        return False
    return marker.get("throughSeq") == first.seq - 1 and marker.get("throughHash") == first.prev_hash


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    algorithm: str = "sm3",
    prune_marker: Mapping[str, object] | None = None,
) -> tuple[int, ChainBreak | None]:
    """Walk ``entries`` in ``seq`` order; (entries checked, first break or None)."""
    count, previous = 0, None
    for entry in entries:
        count += 1
        if previous is None and not _start_ok(entry, prune_marker):
            return count, ChainBreak(entry.seq, entry.id, "pruned-mismatch")
        if previous is not None and entry.seq != previous.seq + 1:
            return count, ChainBreak(entry.seq, entry.id, "missing")
        if previous is not None and entry.prev_hash != previous.hash:
            return count, ChainBreak(entry.seq, entry.id, "relinked")
        if entry_hash(entry, entry.prev_hash, algorithm) != entry.hash:
            return count, ChainBreak(entry.seq, entry.id, "altered")
        previous = entry
    return count, None
