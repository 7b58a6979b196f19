"""What the front-end does with one data-API request: parse, validate, store, reply.

The validator is given by the caller: ``Validator("strict")`` for the 2026 front-end, or one
compiled from ``lenient_dictionary()`` for the 2025 front-end.

``lenient`` is the 2025 front-end: only the record key and the parent keys are required,
and a value that cannot be read (a bad datetime, an object where a string belongs) is still
refused with 03. ``strict`` is the 2026 front-end: every error of the dictionary's strict
validator is refused with 04 (03 if any is a format error), the violations listed in
``desc`` with masked values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hisbridge import _json
from hisbridge.dictionary import Dictionary, TableSpec, Validator
from hisbridge.simulators.frontend import protocol as p
from hisbridge.simulators.frontend.record_reader import RecordReader
from hisbridge.simulators.frontend.store import SimStore, StoreError

__all__ = ["Intake", "Outcome", "lenient_dictionary"]

RecordHook = Callable[[str, Mapping[str, Any], str], None]


@dataclass(slots=True)
class Outcome:
    """The reply to send and what the request log keeps."""

    reply: p.Reply
    body: Any = None
    key_style: str | None = None


class Intake:
    """Turns request bodies into stored records and protocol replies."""

    def __init__(
        self, store: SimStore, validator: Validator, *, on_record: RecordHook,
        stamp: Callable[[], str],
    ) -> None:
        self.store = store
        self.validator = validator
        self.strict = validator.mode == "strict"
        self.on_record = on_record
        self.stamp = stamp
        self.readers: dict[str, RecordReader] = {}

    def handle(self, table: TableSpec, method: str, raw: bytes) -> Outcome:
        """Reply to one POST (upsert) or DELETE request carrying ``raw`` as body."""
        body, problem = _parse(raw)
        if problem is not None:
            return Outcome(p.failure(p.PAYLOAD, problem), body)
        assert isinstance(body, dict)
        read = self._reader(table).read(body)
        key = read.record.get(table.primary_key)
        outcome = Outcome(p.success(key), body, read.key_style)
        if method == "DELETE":
            outcome.reply = self._delete(table, key)
            return outcome
        # Strict reads the body as sent (unknown keys are errors there); lenient only the
        # fields it can refuse.
        violations = self.validator.validate(table.name, body if self.strict else read.to_check)
        code = p.classify(violations)
        if code is not None:
            outcome.reply = p.failure(code, p.describe(violations), key)
            return outcome
        row = read.record if read.all_text else {
            name: value if isinstance(value, str) else str(value)
            for name, value in read.record.items()}
        outcome.reply = self._upsert(table, row, key)
        return outcome

    def _reader(self, table: TableSpec) -> RecordReader:
        reader = self.readers.get(table.name)
        if reader is None:
            reader = self.readers[table.name] = RecordReader(table)
        return reader

    def _upsert(self, table: TableSpec, row: dict[str, Any], key: Any) -> p.Reply:
        if "create_date" not in row and table.field("create_date") is not None:
            row["create_date"] = self.stamp()
        try:
            self.store.upsert(table.name, row)
        except StoreError as exc:
            return p.failure(p.STORE, f"数据入库失败：{exc}", key)
        self.on_record(table.name, row, "upsert")
        return p.success(key, "数据接收成功")

    def _delete(self, table: TableSpec, key: Any) -> p.Reply:
        if not table.can_delete:
            return p.failure(p.VALIDATION, (
                f"{table.title_zh}（{table.name}）不允许删除，只支持新增和修改；"
                "如需停用，请修改记录 / records of this table may not be deleted"), key)
        if key is None or isinstance(key, (dict, list)):
            return p.failure(p.VALIDATION, f"删除需要提供 {table.primary_key} / "
                             f"a delete needs {table.primary_key}", "")
        try:
            removed = self.store.delete(table, str(key))
        except StoreError as exc:
            return p.failure(p.STORE, f"数据删除失败：{exc}", key)
        self.on_record(table.name, {table.primary_key: str(key)}, "delete")
        return p.success(key, "删除成功" if removed else "删除成功（记录不存在）")


def _parse(raw: bytes) -> tuple[Any, str | None]:
    """The JSON object in ``raw``, or why it is not one (errorCode 05)."""
    if not raw.strip():
        return None, "请求体为空，应为一条记录的 JSON 对象 / empty body"
    try:
        body = _json.loads(raw)
    except _json.JSONDecodeError as exc:
        why = "不是 UTF-8 编码" if "utf-8" in str(exc).lower() else "不是合法的 JSON"
        return None, f"请求体{why}，无法解析 / the body is not UTF-8 JSON: {str(exc)[:120]}"
    if not isinstance(body, dict):
        kind = "数组" if isinstance(body, list) else type(body).__name__
        return body, (f"请求体应为一条记录的 JSON 对象，收到的是{kind}（每次只能提交一条记录）"
                      " / one JSON object (one record) per request")
    return body, None


def lenient_dictionary(dictionary: Dictionary) -> Dictionary:
    """The dictionary as the 2025 front-end applied it: formats only, no lengths, no code
    lists, nothing required but the record key (the validator adds the parent keys)."""
    tables = []
    for table in dictionary:
        fields = tuple(
            replace(f, length=None, code_set=None,
                    required_level="mandatory" if f.name == table.primary_key else "unknown")
            for f in table.fields)
        tables.append(replace(table, fields=fields, _by_name={f.name: f for f in fields}))
    return Dictionary(tables, dictionary.code_sets)
