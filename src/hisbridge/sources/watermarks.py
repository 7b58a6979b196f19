"""The sources' own state in the gateway's store: watermarks, runs, unmapped codes, rejects,
seen keys. All writes are small and batched; nothing here holds record payloads.

Like every time in the store, watermarks and poll windows are kept in UTC (text, so that both
stores read them back exactly); ``SourceState`` converts them from and to the HIS's own naive
local times (``his.timezone``), which is what the mapping queries bind. Seen-key days stay HIS
business days: the closing sweep asks the HIS for the same day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hisbridge import _json
from hisbridge._clock import CHINA_TZ, in_zone
from hisbridge.dictionary import Violation
from hisbridge.store.schema.sources import (
    source_excluded_keys,
    source_rejects,
    source_runs,
    source_seen_keys,
    source_unmapped_codes,
    source_watermarks,
)

__all__ = ["RunCounts", "SourceState", "format_mark", "his_mark", "parse_mark", "vars_of"]

_MARK_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
_KEY_CHUNK = 1000
Unmapped = tuple[str, str, str]  # (column, code set, hospital value)
CodeSeen = tuple[str, str, str, str | None]  # ... and the broader code sent, if generalised


def format_mark(value: datetime) -> str:
    """A watermark as stored (and as bound to SQLite, whose timestamps are text)."""
    return value.strftime(_MARK_FORMAT)


def parse_mark(value: Any) -> datetime | None:
    """A watermark column value (datetime, or text as SQLite returns it) as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip().replace("T", " ")).replace(tzinfo=None)
    except ValueError:
        return None


def his_mark(value: Any, zone: tzinfo) -> datetime | None:
    """A HIS watermark value as naive HIS local time (an aware value is converted to ``zone``)."""
    mark = parse_mark(value)
    if mark is None or mark.tzinfo is None:
        return mark
    return mark.astimezone(zone).replace(tzinfo=None)


@dataclass(slots=True)
class RunCounts:
    """What one poll of one table did."""

    rows_read: int = 0
    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    filtered: int = 0
    deleted: int = 0
    unmapped: int = 0
    withheld: int = 0  # children of a deleted parent, kept away from the front-end


class SourceState:
    """Reads and writes the ``source_*`` tables of the store for one source."""

    def __init__(self, engine: Engine, source: str, zone: tzinfo = CHINA_TZ) -> None:
        self.engine = engine
        self.source = source
        self.zone = zone  # the HIS's zone: naive HIS times are wall times there

    def to_utc(self, his_time: datetime) -> str:
        """A naive HIS time as the store keeps it: UTC text."""
        return format_mark(in_zone(his_time, self.zone).astimezone(UTC))

    def from_utc(self, stored: Any) -> datetime | None:
        """Stored UTC text back as a naive HIS time (what the HIS query binds)."""
        moment = parse_mark(stored)
        if moment is None:
            return None
        return moment.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None)

    def _where(self, table: Any, name: str) -> Any:
        return and_(table.c.source == self.source, table.c.table_name == name)

    def watermark(self, table: str) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(select(source_watermarks.c.watermark).where(
                self._where(source_watermarks, table))).scalar_one_or_none()
        return self.from_utc(value)

    def set_watermark(self, table: str, mark: datetime, now: datetime) -> None:
        """Move the watermark to ``mark`` (HIS time; only after the intake committed)."""
        values = {"watermark": self.to_utc(mark), "updated_at": now}
        with self.engine.begin() as conn:
            done = conn.execute(update(source_watermarks).where(
                self._where(source_watermarks, table)).values(**values))
            if not done.rowcount:
                conn.execute(insert(source_watermarks).values(
                    source=self.source, table_name=table, **values))

    def start_run(self, table: str, since: datetime, until: datetime, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(insert(source_runs).values(
                source=self.source, table_name=table, started_at=now, status="running",
                since=self.to_utc(since), until=self.to_utc(until),
                **vars_of(RunCounts())))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(self, run_id: int, counts: RunCounts, now: datetime,
                   error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(source_runs).where(source_runs.c.id == run_id).values(
                finished_at=now, status="failed" if error else "ok", error=error,
                **vars_of(counts)))

    def latest_runs(self) -> list[dict[str, Any]]:
        """The newest run of every table of this source (for health pages)."""
        newest = select(source_runs.c.table_name, func.max(source_runs.c.id).label("id")).where(
            source_runs.c.source == self.source).group_by(source_runs.c.table_name).subquery()
        query = select(source_runs).join(newest, newest.c.id == source_runs.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(source_runs.c.table_name))
            return [dict(r._mapping) for r in rows]

    def add_unmapped(self, table: str, seen: Counter[Unmapped], now: datetime) -> None:
        """Add to the counts of hospital codes missing from the code maps."""
        self.add_codes(table, "unmapped", Counter({(*k, None): n for k, n in seen.items()}), now)

    def count_codes(self, table: str, unmapped: Counter[Unmapped], dropped: Counter[Unmapped],
                    generalised: Counter[tuple[str, str, str, str]], now: datetime) -> None:
        """Add one poll's or one push's codes: unmapped, left out by optional maps, generalised."""
        self.add_unmapped(table, unmapped, now)
        self.add_codes(table, "dropped", Counter({(*k, None): n for k, n in dropped.items()}), now)
        self.add_codes(table, "generalised", Counter(generalised), now)

    def add_codes(self, table: str, outcome: str, seen: Counter[CodeSeen], now: datetime) -> None:
        """Add to the counts of hospital codes by ``outcome`` (unmapped, dropped, generalised);
        the key's last item is the broader code sent (generalised) or None."""
        t = source_unmapped_codes
        with self.engine.begin() as conn:
            for (column, code_set, value, sent), count in seen.items():
                key = and_(self._where(t, table), t.c.column_name == column,
                           t.c.hospital_code == value[:100])
                done = conn.execute(update(t).where(key).values(
                    count=t.c.count + count, last_seen=now, outcome=outcome, mapped_to=sent))
                if not done.rowcount:
                    conn.execute(insert(t).values(
                        source=self.source, table_name=table, column_name=column,
                        hospital_code=value[:100], code_set=code_set, count=count,
                        first_seen=now, last_seen=now, outcome=outcome, mapped_to=sent))

    def unmapped(self) -> list[dict[str, Any]]:
        """Every unmapped hospital code of this source, most frequent first."""
        t = source_unmapped_codes
        with self.engine.connect() as conn:
            rows = conn.execute(select(t).where(t.c.source == self.source).order_by(
                t.c.count.desc(), t.c.table_name, t.c.column_name))
            return [dict(r._mapping) for r in rows]

    def add_rejects(self, table: str, stage: str,
                    rejects: Iterable[tuple[str | None, Iterable[Violation]]],
                    now: datetime) -> None:
        rows = [{"source": self.source, "table_name": table, "record_id": (rid or "")[:128] or None,
                 "stage": stage, "violations": _json.dumps([v.as_dict() for v in vs]).decode(),
                 "created_at": now} for rid, vs in rejects]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(source_rejects), rows)

    def remember_keys(self, table: str, day_keys: Iterable[tuple[str, str]]) -> None:
        """Record (day, key) pairs as seen; duplicates are ignored."""
        rows = [{"source": self.source, "table_name": table, "day": d, "record_key": k[:128]}
                for d, k in set(day_keys)]
        self._insert_new(source_seen_keys, rows)

    def _insert_new(self, table: Any, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows``, ignoring those whose key is already there."""
        dialect = self.engine.dialect.name
        stmt = (postgresql.insert(table) if dialect == "postgresql"
                else sqlite.insert(table)).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            for start in range(0, len(rows), _KEY_CHUNK):
                conn.execute(stmt, rows[start:start + _KEY_CHUNK])

    def exclude_keys(self, table: str, keys: Iterable[tuple[str, str]], now: datetime) -> None:
        """Remember (key, rule) pairs kept back by do-not-send rules; duplicates are ignored."""
        rows = [{"source": self.source, "table_name": table, "record_key": k[:128],
                 "rule": rule[:64], "created_at": now} for k, rule in dict(keys).items()]
        self._insert_new(source_excluded_keys, rows)

    def excluded_among(self, table: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` of ``table`` were kept back by a do-not-send rule."""
        t = source_excluded_keys
        wanted = sorted({k for k in keys if k})
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), _KEY_CHUNK):
                found.update(conn.execute(select(t.c.record_key).where(
                    self._where(t, table),
                    t.c.record_key.in_(wanted[start:start + _KEY_CHUNK]))).scalars())
        return found

    def seen_keys(self, table: str, day: str) -> set[str]:
        t = source_seen_keys
        with self.engine.connect() as conn:
            return set(conn.execute(select(t.c.record_key).where(
                self._where(t, table), t.c.day == day)).scalars())

    def forget_keys(self, table: str, day: str, keys: Iterable[str]) -> None:
        t = source_seen_keys
        keys = list(keys)
        with self.engine.begin() as conn:
            for start in range(0, len(keys), _KEY_CHUNK):
                conn.execute(delete(t).where(self._where(t, table), t.c.day == day,
                                             t.c.record_key.in_(keys[start:start + _KEY_CHUNK])))


def vars_of(counts: RunCounts) -> dict[str, int]:
    """The counts as keyword values (for the runs table and log events)."""
    return {name: getattr(counts, name) for name in RunCounts.__slots__}
