"""The acceptance report's reads: the store's records, outbox, quarantine, dead letters and the
warnings, turned into ``hisbridge.ops.acceptance`` values.

Completeness reuses the reconciliations (``ops.reconcile.day_report`` here; the HIS side,
``sources.reconcile.reconcile_day``, is passed in by the caller as ``his_day`` because
``sources`` sits above this layer). Rejections reuse the quality page's grouping
(``ops.quality.group_violations``) and the dead-letter queries (``store.queries``); warnings
come through the console's reader (``ops.warnings.warning_rows``), never the tables' own names.
Record payloads are read once, streamed, to count fields and delays; no value leaves here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from hisbridge import _json
from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.model import TableSpec
from hisbridge.dictionary.violations import RULE_HINTS
from hisbridge.ops import warnings as warning_ledger
from hisbridge.ops.acceptance import (
    AcceptanceReport,
    CompletenessLine,
    FieldCounter,
    HisLine,
    Period,
    Rejection,
    TimelinessCounter,
    WarningDay,
    completeness_from_his,
    completeness_from_store,
    his_save_time,
    warning_days,
)
from hisbridge.ops.quality import group_violations
from hisbridge.ops.reconcile import day_report
from hisbridge.store.queries import DeadFilter, dead_counts, dead_letters
from hisbridge.store.schema.outbox import outbox, records
from hisbridge.store.times import from_store, to_store

__all__ = ["Header", "gather", "read_rejections", "read_versions", "read_warnings"]

# A record saved in the HIS on the period's first day may reach the store a little before (the
# two clocks differ) and any time after: read the versions received from one day before it.
_CLOCK_SLACK = timedelta(days=1)
_BATCH = 1000
_DEAD_EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class Header:
    institution: str
    org_code: str
    version: str
    generated_at: datetime


def gather(engine: Engine, period: Period, header: Header,
           his_day: Callable[[date], Iterable[HisLine]] | None = None) -> AcceptanceReport:
    """The whole report of ``period``; ``his_day`` gives the HIS reconciliation of a day, or
    completeness is the store's own view."""
    tables = {spec.name: spec for spec in load_dictionary()}
    timeliness, fields = TimelinessCounter(period, tables), FieldCounter(tables)
    for table, payload, delivered in read_versions(engine, period):
        saved = his_save_time(payload, period.zone)
        timeliness.add(table, saved, delivered)
        if delivered is not None and _in_period(period, saved or delivered):
            fields.add(table, payload)
    rejections, by_day = read_rejections(engine, period)
    warnings, capped = read_warnings(engine, period)
    return AcceptanceReport(
        header.institution, header.org_code, period, header.version, header.generated_at,
        his_day is not None, _completeness(engine, period, tables, his_day),
        timeliness.result(), timeliness.no_save_time, rejections, by_day, fields.result(),
        fields.delivered(), warnings, capped)


def _in_period(period: Period, moment: datetime) -> bool:
    return period.first <= period.local_day(moment) <= period.last


def _completeness(engine: Engine, period: Period, tables: Mapping[str, TableSpec],
                  his_day: Callable[[date], Iterable[HisLine]] | None) -> list[CompletenessLine]:
    titles = {name: spec.title_zh for name, spec in tables.items()}
    lines: list[CompletenessLine] = []
    for day in period.days():
        if his_day is not None:
            lines += completeness_from_his(day, his_day(day), titles)
        else:
            lines += completeness_from_store(day, day_report(engine, day, period.zone))
    return [line for line in lines if not line.empty]


def read_versions(engine: Engine, period: Period) -> Iterator[tuple[str, dict[str, Any], datetime | None]]:
    """Every upserted record version received since the period's start (less a day's slack):
    its table, its payload and when it was delivered — the first delivery of that version or of
    a newer one of the same record (a newer version supersedes it), or None."""
    r, o = records.c, outbox.c
    delivered = (select(func.min(o.finished_at))
                 .where(o.table_name == r.table_name, o.record_id == r.record_id,
                        o.version >= r.version, o.state == "delivered")
                 .scalar_subquery())
    query = (select(r.table_name, r.payload, delivered)
             .where(r.op == "upsert", r.received_at >= to_store(period.start() - _CLOCK_SLACK)))
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, max_row_buffer=_BATCH).execute(query)
        for table, payload, at in result:
            found = _json.loads(payload)
            if isinstance(found, dict):
                yield table, found, from_store(at)


def read_rejections(engine: Engine, period: Period) -> tuple[list[Rejection], dict[date, dict[str, int]]]:
    """Reasons over the period (most frequent first) and rejected records per day."""
    by_day: dict[date, dict[str, int]] = {}
    quarantined: dict[tuple[str, str], Rejection] = {}
    for day in period.days():
        start = datetime.combine(day, datetime.min.time(), period.zone)
        end = start + timedelta(days=1)
        groups, scanned = group_violations(engine, since=start, until=end - timedelta(microseconds=1))
        dead, _codes = dead_counts(engine, DeadFilter(since=start, until=end))
        by_day[day] = {"quarantine": scanned, "dead": dead}
        for g in groups:
            reason = f"{g.label_zh or g.field}（{g.field}）：{_rule_zh(g.rule, g.hint_zh)}"
            old = quarantined.get((g.table, reason))
            count = g.count + (old.count if old else 0)
            examples = tuple(dict.fromkeys([*(old.examples if old else ()), *g.examples]))[:3]
            quarantined[(g.table, reason)] = Rejection("quarantine", g.table, reason, count, examples)
    found = [*quarantined.values(), *_dead_reasons(engine, period)]
    return sorted(found, key=lambda x: (-x.count, x.kind, x.table, x.reason_zh)), by_day


def _rule_zh(rule: str, hint_zh: str) -> str:
    known = RULE_HINTS.get(rule)
    return known[0] if known else (hint_zh or rule)


def _dead_reasons(engine: Engine, period: Period) -> list[Rejection]:
    """Dead letters of the period per table and front-end error code, with masked reasons."""
    found = []
    for spec in load_dictionary():
        flt = DeadFilter(table=spec.name, since=period.start(), until=period.end())
        total, codes = dead_counts(engine, flt)
        if not total:
            continue
        for code, count in codes.items():
            one = DeadFilter(spec.name, None if code == "—" else code, flt.since, flt.until)
            reasons = [d.reason[:160] for d in dead_letters(engine, one, _DEAD_EXAMPLES)]
            head = reasons[0] if reasons else ""
            found.append(Rejection("dead", spec.name, f"错误码 {code}：{head}", count,
                                   tuple(dict.fromkeys(reasons[1:]))))
    return found


def read_warnings(engine: Engine, period: Period) -> tuple[list[WarningDay] | None, bool]:
    """Warnings by day, and whether a window held more than the reader returns at once (then the
    figures are lower bounds). None when the warnings concern is not installed."""
    rows: dict[str, dict[str, Any]] = {}
    capped = False
    windows = [(period.start(), period.end())]
    while windows:
        since, until = windows.pop()
        page = warning_ledger.warning_rows(engine, level=None, since=since, until=until, text=None)
        if page is None:
            return None, False
        rows.update((row["msg_id"], row) for row in page)
        if len(page) < warning_ledger.LIMIT:
            continue
        if until - since < timedelta(milliseconds=1):  # one page stored at one instant
            capped = True
            continue
        middle = since + (until - since) / 2
        windows += [(since, middle), (middle, until)]
    return warning_days(period, rows.values()), capped
