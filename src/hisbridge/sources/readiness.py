"""Readiness: connect to every source and target, try each mapping on a few rows, and say
what the front-end would reject and why — without sending or storing anything.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from hisbridge.dictionary import Validator
from hisbridge.mapping import MappingFile
from hisbridge.project import Project
from hisbridge.sharing.consent.config import GdHealthSettings
from hisbridge.sources.his_databases import PING
from hisbridge.sources.sql_session import SourceQueryError, open_source, stream_rows
from hisbridge.sources.watermarks import parse_mark

__all__ = ["EXCLUSIVE_SINCE", "MappingCheck", "Readiness", "check_connections", "check_mapping",
           "lab_item_codes", "mapped_lab_items"]

EXCLUSIVE_SINCE = ("查询用 > :since（0.1.0 写法），恰在水位时刻的行会被跳过；请改为 >= :since / "
                   "the query reads > :since: rows stamped exactly at the watermark are skipped; "
                   "use >= :since")


_KEYS_SHOWN = 3


@dataclass(slots=True)
class MappingCheck:
    """The outcome of trying one mapping on at most ``limit`` rows."""

    table: str
    file: str
    rows: int = 0
    ok: int = 0
    rejected: int = 0
    filtered: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)  # left out by an optional code map
    generalised: Counter[str] = field(default_factory=Counter)  # sent as a broader code
    problems: list[str] = field(default_factory=list)
    column: str | None = None
    keys: dict[str, list[str]] = field(default_factory=dict)  # reason -> a few record keys

    @property
    def ready(self) -> bool:
        return not self.problems and not self.rejected


@dataclass(slots=True)
class Readiness:
    connections: dict[str, str] = field(default_factory=dict)  # name -> "ok" or the error
    mappings: list[MappingCheck] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # not blocking: a feature that will not work

    @property
    def ready(self) -> bool:
        return all(v == "ok" for v in self.connections.values()) and all(
            m.ready for m in self.mappings)


def _ping(engine: Engine, dispose: bool = False) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(PING)
        return "ok"
    except Exception as exc:
        return str(getattr(exc, "orig", exc)).splitlines()[0][:200]
    finally:
        if dispose:
            engine.dispose()


def _http(url: str) -> str:
    import httpx

    try:
        httpx.get(url, timeout=3.0)
        return "ok"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:200]


def check_connections(project: Project, store_url: str, gdhealth: GdHealthSettings, *,
                      polls_warnings: bool) -> tuple[Readiness, Engine | None]:
    """Reach the HIS, the store (``store_url``) and the front-end, check the provincial
    platform's settings; the HIS engine when it answered. ``polls_warnings``: the warning
    poller is on (``interaction.poller.enabled``), so the front-end licence is needed."""
    from hisbridge.store.engine import make_engine

    s = project.settings
    out = Readiness()
    source = None
    if s.his.source_url:
        source = open_source(s.his.source_url, statement_timeout_s=s.his.statement_timeout_s)
        out.connections[f"HIS {project.source_name}"] = _ping(source)
    else:
        out.connections["HIS"] = "未配置 his.source_url"
    out.connections["store"] = _ping(make_engine(store_url), dispose=True)
    if s.frontend.mode == "db" and s.frontend.db_url:
        out.connections["front-end db"] = _ping(make_engine(s.frontend.db_url), dispose=True)
    else:
        out.connections["front-end"] = _http(s.frontend.base_url)
    if gdhealth.enabled:
        out.connections["gdhealth"] = "; ".join(gdhealth.problems()) or "ok"
    if polls_warnings and s.frontend.license is None:
        out.notices.append(
            "未配置机构授权码 frontend.license：预警消息读不到、单点登录不可用 warnings cannot be read "
            "and SSO does not work（填写前置软件颁发的授权码，或设 interaction.poller.enabled: false）")
    ok = source is not None and out.connections[f"HIS {project.source_name}"] == "ok"
    if source is not None and not ok:
        source.dispose()
    return out, source if ok else None


def _columns(check: MappingCheck, mapping: MappingFile, project: Project,
             row: dict[str, Any]) -> None:
    fields = {f.name for f in project.dictionary.table(mapping.table).fields}
    for needed in (mapping.key, mapping.watermark, mapping.delete_flag, mapping.drugs):
        if needed and needed not in row:
            check.problems.append(f"查询结果缺少列 missing column {needed!r}")
            check.column = check.column or needed
    helpers = mapping.helper_columns | project.exclusions.columns
    for column in row:
        if column not in fields and column not in helpers:
            check.problems.append(f"列 {column!r} 不是 {mapping.table} 的字段 not a field")
            check.column = check.column or column


def check_mapping(project: Project, source: Engine, table: str, *, limit: int = 200,
                  until: datetime | None = None) -> MappingCheck:
    """Run one mapping on up to ``limit`` rows and validate what it produces."""
    mapping = project.mapping(table)
    check = MappingCheck(mapping.table, str(mapping.path))
    if mapping.exclusive_since:
        check.warnings[EXCLUSIVE_SINCE] += 1
    since = project.settings.his.initial_since.replace(tzinfo=None)
    params = {"since": since, "until": until or datetime(2999, 1, 1)}
    try:
        pages = stream_rows(source, mapping.sql, params, fetch_size=limit, path=mapping.path)
        rows = next(pages, [])
        pages.close()
    except SourceQueryError as exc:
        check.problems.append(str(exc))
        check.column = exc.column
        return check
    if rows:
        _columns(check, mapping, project, rows[0])
        _order(check, mapping, rows)
    _validate(check, project, table, rows)
    return check


def _order(check: MappingCheck, mapping: MappingFile, rows: list[dict[str, Any]]) -> None:
    marks = [parse_mark(r.get(mapping.watermark)) for r in rows]
    if any(m is None for m in marks):
        check.problems.append(f"水位列 {mapping.watermark!r} 有空值或不是时间 watermark empty")
    elif marks != sorted(marks):  # type: ignore[type-var]
        check.problems.append(f"结果未按水位列排序 add ORDER BY {mapping.watermark}")


def _validate(check: MappingCheck, project: Project, table: str,
              rows: list[dict[str, Any]]) -> None:
    validator = Validator(project.settings.validation_mode, project.dictionary)
    primary = project.dictionary.table(table).primary_key
    codemaps = project.resolve(project.settings.his.codemaps_dir)
    for mapped in project.mapper(table).map_rows(rows):
        check.rows += 1
        for column, code_set, value in mapped.unmapped:
            check.unmapped[f"{column} ({code_set}) = {value}"] += 1
        for column, code_set, value in mapped.dropped:
            check.dropped[f"{column} = {value} → {codemaps / code_set}.csv"] += 1
        for column, code_set, value, sent in mapped.generalised:
            check.generalised[f"{column} ({code_set}) {value} → {sent}"] += 1
        if mapped.filtered:
            check.filtered += 1
            continue
        found = list(mapped.problems)
        if mapped.op == "upsert":
            found += validator.validate(check.table, mapped.record)
        errors = [v for v in found if v.severity == "error"]
        key = str(mapped.record.get(primary, "") or "?")
        for v in found:
            reason = f"{v.field}（{v.label_zh}）[{v.rule}] {v.hint_zh} / {v.hint_en}"
            (check.reasons if v.severity == "error" else check.warnings)[reason] += 1
            shown = check.keys.setdefault(reason, [])
            if len(shown) < _KEYS_SHOWN and key not in shown:
                shown.append(key)
        check.rejected += bool(errors)
        check.ok += not errors


def mapped_lab_items(project: Project) -> set[str]:
    """Item codes already mapped in the front-end (``his.lab_items_mapped``, column item_code)."""
    path = project.settings.his.lab_items_mapped
    if path is None:
        return set()
    text = project.resolve(path).read_text("utf-8-sig")
    return {(row.get("item_code") or "").strip() for row in csv.DictReader(io.StringIO(text))}


def lab_item_codes(project: Project, source: Engine, since: datetime, until: datetime,
                   ) -> Counter[tuple[str, str, str]]:
    """(item code, name, unit) -> count over a window, from the emr_ex_lab_item mapping, leaving
    out the items listed in ``his.lab_items_mapped``: what the front-end administrator still has
    to map."""
    mapping = project.mapping("emr_ex_lab_item")
    seen: Counter[tuple[str, str, str]] = Counter()
    done = mapped_lab_items(project)
    mapper = project.mapper("emr_ex_lab_item")
    pages = stream_rows(source, mapping.sql, {"since": since, "until": until}, path=mapping.path)
    for page in pages:
        for mapped in mapper.map_rows(page):
            r = mapped.record
            if r.get("item_code", "") in done:
                continue
            seen[(r.get("item_code", ""), r.get("item_name", ""),
                  r.get("examination_quantification_unit", ""))] += 1
    return seen


