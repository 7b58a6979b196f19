"""The in-memory ``Intake``: the store's own validation, normalisation and hashing, no database.

For source tests (SQL polling, files, push) that want to see what would be accepted. Every
accepted version is in ``versions``; ``current`` holds the newest record per (table, key) that
is not deleted, ``deleted`` the keys whose last version was a delete; ``quarantined`` the
rejected rows (as the store would park them) and ``rejected`` the per-table rejections;
``calls`` counts ``accept`` calls per table. ``fail_tables`` makes ``accept`` raise
``Transient`` for chosen tables, to prove a source keeps its watermark when the store fails.
``MemoryIntake`` is the same class under the name older tests use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hisbridge import _json
from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.errors import OperationRefused, Transient
from hisbridge.store.intake import Prepared, prepare_records
from hisbridge.store.ports import AcceptResult, Op, Rejected

__all__ = ["AcceptedVersion", "InMemoryIntake", "MemoryIntake"]


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
    fail_tables: set[str] = field(default_factory=set)
    versions: list[AcceptedVersion] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    current: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, set[str]] = field(default_factory=dict)
    rejected: dict[str, list[Rejected]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    _latest: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        """Validate ``records``; keep new versions, count unchanged, quarantine the rest."""
        spec = load_dictionary().table(table)
        self.calls[spec.name] += 1
        if spec.name in self.fail_tables:
            raise Transient(f"store unavailable for {spec.name} (InMemoryIntake.fail_tables)")
        if op == "delete" and not spec.can_delete:
            raise OperationRefused(f"{spec.name}（{spec.title_zh}）不允许删除 deletes are refused")
        result = AcceptResult()
        prepared, parked = prepare_records(self.validator, spec, records, op, result)
        for item in prepared:
            self._keep(spec.name, item, op, source, result)
        self.quarantined.extend(parked)
        self.rejected.setdefault(spec.name, []).extend(result.rejected)
        return result

    def _keep(self, table: str, item: Prepared, op: Op, source: str,
              result: AcceptResult) -> None:
        key = (table, item.record_id)
        latest = self._latest.get(key)
        if latest is not None and latest[1] == item.content_hash:
            result.unchanged += 1
            result.unchanged_ids.add(item.record_id)
            return
        version = (latest[0] if latest else 0) + 1
        self._latest[key] = (version, item.content_hash)
        record = _json.loads(item.payload)
        self.versions.append(AcceptedVersion(table, item.record_id, version, op, record,
                                             item.content_hash, source))
        result.accepted += 1
        if op == "delete":
            self.current.get(table, {}).pop(item.record_id, None)
            self.deleted.setdefault(table, set()).add(item.record_id)
        else:
            self.current.setdefault(table, {})[item.record_id] = record
            self.deleted.get(table, set()).discard(item.record_id)

    def latest(self, table: str, record_id: str) -> AcceptedVersion | None:
        """The newest accepted version of one record, if any."""
        found = [v for v in self.versions if (v.table, v.record_id) == (table, record_id)]
        return found[-1] if found else None

    def keys(self, table: str) -> set[str]:
        """The keys currently held (accepted and not deleted) for ``table``."""
        return set(self.current.get(table, {}))

    def count(self, table: str) -> int:
        return len(self.current.get(table, {}))


MemoryIntake = InMemoryIntake
