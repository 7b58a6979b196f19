"""The acceptance report (上线验收): what a CDC checks, per table and day, as plain values.

Pure: no store, no HIS. ``hisbridge.ops.acceptance_reads`` feeds these from the store (and the
HIS reconciliation, passed in by the caller, which sits above ``sources``); ``hisbridge.web.report``
renders them. Five sections:

- completeness: the HIS's keys of the day versus what was delivered (``sources.reconcile``'s
  lines), or, without the HIS, the store's own day (``ops.reconcile.day_report``);
- timeliness: each record version against its HIS save time (``operation_time``, wall time in
  ``his.timezone``): real-time tables count as on time when delivered within 5 minutes, T+0
  tables when delivered the same calendar day; base tables are not assessed;
- rejections by reason: validation failures (quarantine) and dead letters, in Chinese;
- field completeness of the mandatory and recommended fields over the delivered records;
- warnings received from the front-end, and how many were read and handled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal, Protocol

from hisbridge._clock import parse_local
from hisbridge.dictionary.model import Group, RequiredLevel, TableSpec

if TYPE_CHECKING:  # the store's day; imported for its type only, so this module stays pure
    from hisbridge.ops.reconcile import DayLine

__all__ = [
    "ASSESSED_LEVELS",
    "REALTIME_LIMIT",
    "AcceptanceReport",
    "CompletenessLine",
    "FieldCounter",
    "FieldFill",
    "HisLine",
    "Period",
    "Rejection",
    "Timeliness",
    "TimelinessCounter",
    "WarningDay",
    "completeness_from_his",
    "completeness_from_store",
    "his_save_time",
    "is_on_time",
    "level_rates",
    "rate",
    "warning_days",
]

REALTIME_LIMIT = timedelta(minutes=5)
ASSESSED_LEVELS: tuple[RequiredLevel, ...] = ("mandatory", "mandatory_observed", "recommended")
LEVEL_LABELS: Mapping[str, str] = {
    "mandatory": "必填", "mandatory_observed": "必填（前置软件实测）", "recommended": "推荐",
}
RULE_LABELS: Mapping[str, str] = {
    "realtime": "保存后 5 分钟内送达", "t0": "保存当日送达", "base": "不考核（基础表）",
}
MAX_DAYS = 92


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction, None when there is nothing to judge."""
    return part / whole if whole > 0 else None


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days ``first``..``last`` (inclusive) in the hospital's zone (``his.timezone``)."""

    first: date
    last: date
    zone: tzinfo
    zone_name: str

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("结束日期早于开始日期 --to is before --from")
        if (self.last - self.first).days >= MAX_DAYS:
            raise ValueError(f"一次最多 {MAX_DAYS} 天 at most {MAX_DAYS} days per report")

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, self.zone)

    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, self.zone)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


# ---- completeness ------------------------------------------------------------------------


class HisLine(Protocol):
    """One table's reconciliation with the HIS (``sources.reconcile.TableReconciliation``)."""

    table: str
    source: int
    accepted: int
    delivered: int
    pending: int
    dead: int
    quarantined: int
    withdrawn: int
    missing: int
    frontend_only: int
    excluded: int


@dataclass(frozen=True, slots=True)
class CompletenessLine:
    """One table on one day. ``his_keys`` is None when the HIS was not checked."""

    day: date
    table: str
    title_zh: str
    his_keys: int | None
    accepted: int
    delivered: int
    in_flight: int
    dead: int
    quarantined: int = 0
    withdrawn: int = 0
    excluded: int = 0
    missing: int = 0
    frontend_only: int = 0

    @property
    def expected(self) -> int:
        """What had to arrive: the HIS's keys less those withdrawn with a deleted parent."""
        return self.his_keys - self.withdrawn if self.his_keys is not None else self.accepted

    @property
    def rate(self) -> float | None:
        return rate(self.delivered, self.expected)

    @property
    def empty(self) -> bool:
        return not (self.his_keys or self.accepted or self.dead or self.frontend_only)


def completeness_from_his(day: date, lines: Iterable[HisLine],
                          titles: Mapping[str, str]) -> list[CompletenessLine]:
    """The HIS reconciliation's lines of ``day``, as the report shows them."""
    return [CompletenessLine(day, x.table, titles.get(x.table, x.table), x.source, x.accepted,
                             x.delivered, x.pending, x.dead, x.quarantined, x.withdrawn,
                             x.excluded, x.missing, x.frontend_only) for x in lines]


def completeness_from_store(day: date, lines: Iterable[DayLine]) -> list[CompletenessLine]:
    """The store's own lines of ``day`` (no HIS to compare with)."""
    return [CompletenessLine(day, x.table, x.title_zh, None, x.accepted, x.delivered,
                             x.in_flight, x.dead) for x in lines]


# ---- timeliness --------------------------------------------------------------------------


def his_save_time(payload: Mapping[str, Any], zone: tzinfo) -> datetime | None:
    """When the HIS saved the record (its ``operation_time``, wall time in ``zone``), or None."""
    value = payload.get("operation_time")
    if value in (None, ""):
        return None
    try:
        return parse_local(value, zone)
    except ValueError:
        return None


def is_on_time(group: Group, saved: datetime, delivered: datetime, zone: tzinfo) -> bool:
    """Real-time: delivered within 5 minutes of the save; T+0 and base: on the save's day."""
    if group == "realtime":
        return delivered - saved <= REALTIME_LIMIT
    return delivered.astimezone(zone).date() <= saved.astimezone(zone).date()


@dataclass(slots=True)
class Timeliness:
    """One table's record versions saved in the HIS on one day, by when they were delivered."""

    day: date
    table: str
    title_zh: str
    group: Group
    saved: int = 0
    on_time: int = 0
    late: int = 0
    undelivered: int = 0
    delays_s: list[float] = field(default_factory=list, repr=False)

    @property
    def rule_zh(self) -> str:
        return RULE_LABELS[self.group]

    @property
    def share(self) -> float | None:
        return rate(self.on_time, self.saved)

    @property
    def p95_delay_s(self) -> float | None:
        """The 95th percentile of save-to-delivery delays (nearest rank), in seconds."""
        if not self.delays_s:
            return None
        ordered = sorted(self.delays_s)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


class TimelinessCounter:
    """Counts record versions into (day of the HIS save, table) lines."""

    def __init__(self, period: Period, tables: Mapping[str, TableSpec]) -> None:
        self.period, self.tables = period, tables
        self.lines: dict[tuple[date, str], Timeliness] = {}
        self.no_save_time: dict[str, int] = {}

    def add(self, table: str, saved: datetime | None, delivered: datetime | None) -> None:
        spec = self.tables.get(table)
        if spec is None or spec.group == "base":
            return
        if saved is None:
            self.no_save_time[table] = self.no_save_time.get(table, 0) + 1
            return
        day = self.period.local_day(saved)
        if not self.period.first <= day <= self.period.last:
            return
        line = self.lines.get((day, table))
        if line is None:
            line = self.lines[(day, table)] = Timeliness(day, table, spec.title_zh, spec.group)
        line.saved += 1
        if delivered is None:
            line.undelivered += 1
            return
        line.delays_s.append(max((delivered - saved).total_seconds(), 0.0))
        if is_on_time(spec.group, saved, delivered, self.period.zone):
            line.on_time += 1
        else:
            line.late += 1

    def result(self) -> list[Timeliness]:
        """By day, then in the dictionary's table order."""
        order = {name: i for i, name in enumerate(self.tables)}
        return sorted(self.lines.values(), key=lambda t: (t.day, order[t.table]))


# ---- field completeness ------------------------------------------------------------------


@dataclass(slots=True)
class FieldFill:
    table: str
    field: str
    label_zh: str
    level: RequiredLevel
    filled: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return rate(self.filled, self.total)

    @property
    def level_zh(self) -> str:
        return LEVEL_LABELS[self.level]


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


class FieldCounter:
    """Counts, per table and assessed field, how many delivered records carry a value."""

    def __init__(self, tables: Mapping[str, TableSpec]) -> None:
        self.fields: dict[str, list[FieldFill]] = {
            name: [FieldFill(name, f.name, f.label_zh, f.required_level) for f in spec.fields
                   if f.required_level in ASSESSED_LEVELS]
            for name, spec in tables.items()}
        self.records: dict[str, int] = {}

    def add(self, table: str, payload: Mapping[str, Any]) -> None:
        fills = self.fields.get(table)
        if fills is None:
            return
        self.records[table] = self.records.get(table, 0) + 1
        for fill in fills:
            fill.total += 1
            fill.filled += _filled(payload.get(fill.field))

    def result(self) -> list[FieldFill]:
        return [f for fills in self.fields.values() for f in fills if f.total]

    def delivered(self) -> dict[str, int]:
        """Records counted per table, in the dictionary's table order."""
        return {name: self.records[name] for name in self.fields if name in self.records}


def level_rates(fills: Iterable[FieldFill]) -> dict[tuple[str, str], float | None]:
    """Filled cells over all cells, per (table, level)."""
    sums: dict[tuple[str, str], list[int]] = {}
    for f in fills:
        pair = sums.setdefault((f.table, f.level), [0, 0])
        pair[0] += f.filled
        pair[1] += f.total
    return {key: rate(filled, total) for key, (filled, total) in sums.items()}


# ---- rejections and warnings -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rejection:
    """One reason records were refused: by our validation (``quarantine``) or by the
    front-end (``dead``, after its retries); ``examples`` hold masked values only."""

    kind: Literal["quarantine", "dead"]
    table: str
    reason_zh: str
    count: int
    examples: tuple[str, ...] = ()

    @property
    def kind_zh(self) -> str:
        return "校验不通过（隔离）" if self.kind == "quarantine" else "前置软件拒收（死信）"


@dataclass(slots=True)
class WarningDay:
    day: date
    received: int = 0
    read: int = 0
    handled: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def read_share(self) -> float | None:
        return rate(self.read, self.received)

    @property
    def handled_share(self) -> float | None:
        return rate(self.handled, self.received)


def warning_days(period: Period, rows: Iterable[Mapping[str, Any]]) -> list[WarningDay]:
    """Warnings by the day they were received (``polled_at``); read or handled when any of its
    doctors' receipts says so."""
    days = {d: WarningDay(d) for d in period.days()}
    for row in rows:
        polled = row.get("polled_at")
        line = days.get(period.local_day(polled)) if isinstance(polled, datetime) else None
        if line is None:
            continue
        receipts: Sequence[Mapping[str, Any]] = row.get("receipts") or ()
        line.received += 1
        line.read += any(r.get("read_at") for r in receipts)
        line.handled += any(r.get("handled_at") for r in receipts)
        kind = str(row.get("type") or "—")
        line.by_type[kind] = line.by_type.get(kind, 0) + 1
    return list(days.values())


# ---- the report --------------------------------------------------------------------------


@dataclass(slots=True)
class AcceptanceReport:
    """Everything the printed report shows; ``his_checked`` says whether completeness compared
    with the HIS's own keys or only with what the store received."""

    institution: str
    org_code: str
    period: Period
    version: str
    generated_at: datetime
    his_checked: bool
    completeness: list[CompletenessLine]
    timeliness: list[Timeliness]
    no_save_time: dict[str, int]
    rejections: list[Rejection]
    rejected_by_day: dict[date, dict[str, int]]
    fields: list[FieldFill]
    delivered_records: dict[str, int]
    warnings: list[WarningDay] | None  # None: the warnings concern is not installed
    warnings_capped: bool = False

    def summary(self) -> dict[str, float | int | None]:
        """The headline figures of the first page."""
        lines = self.completeness
        groups = {g: [t for t in self.timeliness if t.group == g] for g in ("realtime", "t0")}
        mandatory = [f for f in self.fields if f.level == "mandatory"]
        got = self.warnings or []
        return {
            "completeness": rate(sum(x.delivered for x in lines), sum(x.expected for x in lines)),
            "missing": sum(x.missing for x in lines),
            "realtime_on_time": rate(sum(t.on_time for t in groups["realtime"]),
                                     sum(t.saved for t in groups["realtime"])),
            "t0_on_time": rate(sum(t.on_time for t in groups["t0"]),
                               sum(t.saved for t in groups["t0"])),
            "rejected": sum(sum(n.values()) for n in self.rejected_by_day.values()),
            "mandatory_filled": rate(sum(f.filled for f in mandatory), sum(f.total for f in mandatory)),
            "warnings": sum(w.received for w in got),
            "warnings_read": rate(sum(w.read for w in got), sum(w.received for w in got)),
        }

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values (``--json``)."""
        p = self.period
        return {
            "institution": self.institution, "org_code": self.org_code, "version": self.version,
            "period": {"from": p.first.isoformat(), "to": p.last.isoformat(), "timezone": p.zone_name},
            "generated_at": self.generated_at.isoformat(), "his_checked": self.his_checked,
            "summary": self.summary(),
            "completeness": [{**asdict(x), "day": x.day.isoformat(), "rate": x.rate}
                             for x in self.completeness],
            "timeliness": [{**{k: v for k, v in asdict(t).items() if k != "delays_s"},
                            "day": t.day.isoformat(), "share": t.share, "p95_delay_s": t.p95_delay_s}
                           for t in self.timeliness],
            "no_save_time": self.no_save_time,
            "rejections": [asdict(r) for r in self.rejections],
            "rejected_by_day": {d.isoformat(): n for d, n in self.rejected_by_day.items()},
            "fields": [{**asdict(f), "rate": f.rate} for f in self.fields],
            "delivered_records": self.delivered_records,
            "warnings": None if self.warnings is None else [
                {**asdict(w), "day": w.day.isoformat()} for w in self.warnings],
            "warnings_capped": self.warnings_capped,
        }
