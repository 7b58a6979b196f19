"""``MemoryIntake``: an in-memory ``Intake`` for source tests (SQL polling, files, push).

It validates with ``hisbridge.spec.Validator``, keeps the latest content hash per key so a
re-read unchanged row counts as ``unchanged``, and records every call. ``fail_tables`` makes
``accept`` raise for chosen tables, to prove a source keeps its watermark when the store fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hisbridge import _ids, _json
from hisbridge.errors import OperationRefused, Transient
from hisbridge.spec import Validator, has_errors, load_dictionary
from hisbridge.store.ports import AcceptResult, Op, Rejected

__all__ = ["MemoryIntake"]


@dataclass
class MemoryIntake:
    """Implements ``hisbridge.store.ports.Intake`` with dictionaries."""

    validator: Validator = field(default_factory=lambda: Validator("lenient"))
    fail_tables: set[str] = field(default_factory=set)
    current: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, set[str]] = field(default_factory=dict)
    rejected: dict[str, list[Rejected]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    _hashes: dict[tuple[str, str], str] = field(default_factory=dict)

    def accept(self, table: str, records: Sequence[Mapping[str, Any]], *, op: Op = "upsert",
               source: str = "") -> AcceptResult:
        """Validate and keep ``records``; raises ``Transient`` for tables in ``fail_tables``."""
        spec = load_dictionary().table(table)
        self.calls[spec.name] += 1
        if spec.name in self.fail_tables:
            raise Transient(f"store unavailable for {spec.name} (MemoryIntake.fail_tables)")
        if op == "delete" and not spec.can_delete:
            raise OperationRefused(f"{spec.name}（{spec.title_zh}）不允许删除 deletes are refused")
        result = AcceptResult()
        for index, record in enumerate(records):
            key = str(record.get(spec.primary_key) or "")
            # deletes need only the key, as in the store
            violations = self.validator.validate(spec.name, record) if op == "upsert" else []
            if has_errors(violations) or not key:
                result.rejected.append(Rejected(index, key or None, tuple(violations)))
                continue
            self._keep(spec.name, key, dict(record), op, result)
        self.rejected.setdefault(spec.name, []).extend(result.rejected)
        return result

    def _keep(self, table: str, key: str, record: dict[str, Any], op: Op,
              result: AcceptResult) -> None:
        digest = _ids.content_hash(op.encode() + _json.dumps(record, sort_keys=True))
        if self._hashes.get((table, key)) == digest:
            result.unchanged += 1
            return
        self._hashes[(table, key)] = digest
        result.accepted += 1
        if op == "delete":
            self.current.get(table, {}).pop(key, None)
            self.deleted.setdefault(table, set()).add(key)
        else:
            self.current.setdefault(table, {})[key] = record
            self.deleted.get(table, set()).discard(key)

    def keys(self, table: str) -> set[str]:
        """The keys currently held (accepted and not deleted) for ``table``."""
        return set(self.current.get(table, {}))

    def count(self, table: str) -> int:
        return len(self.current.get(table, {}))
