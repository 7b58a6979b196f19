"""An in-memory ``Intake``: the same validation, normalisation and hashing as the store.

For source tests (SQL polling, files, push) that want to see what would be accepted without a
database. ``versions`` holds every accepted version per (table, id); ``quarantined`` the rejects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hisbridge import _json
from hisbridge.errors import OperationRefused
from hisbridge.spec import Validator, load_dictionary
from hisbridge.store.intake import prepare_records
from hisbridge.store.ports import AcceptResult, Op

__all__ = ["AcceptedVersion", "InMemoryIntake"]


@dataclass(frozen=True, slots=True)
class AcceptedVersion:
    table: str
    record_id: str
    version: int
    op: Op
    record: dict[str, Any]
    content_hash: str
    source: str


@dataclass
class InMemoryIntake:
    """Implements ``hisbridge.store.ports.Intake`` in memory."""

    validator: Validator = field(default_factory=lambda: Validator("lenient"))
    versions: list[AcceptedVersion] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    _latest: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        """Validate ``records``; keep new versions, count unchanged, quarantine the rest."""
        spec = load_dictionary().table(table)
        if op == "delete" and not spec.can_delete:
            raise OperationRefused(f"{spec.name}（{spec.title_zh}）不允许删除 deletes are refused")
        result = AcceptResult()
        prepared, parked = prepare_records(self.validator, spec, records, op, result)
        for item in prepared:
            key = (spec.name, item.record_id)
            current = self._latest.get(key)
            if current is not None and current[1] == item.content_hash:
                result.unchanged += 1
                continue
            version = (current[0] if current else 0) + 1
            self._latest[key] = (version, item.content_hash)
            self.versions.append(AcceptedVersion(spec.name, item.record_id, version, op,
                                                 _json.loads(item.payload), item.content_hash,
                                                 source))
            result.accepted += 1
        self.quarantined.extend(parked)
        return result

    def latest(self, table: str, record_id: str) -> AcceptedVersion | None:
        """The newest accepted version of one record, if any."""
        found = [v for v in self.versions if (v.table, v.record_id) == (table, record_id)]
        return found[-1] if found else None
