"""Fill one day of the synthetic HIS, in bulk, on SQLite, PostgreSQL or MariaDB.

Rows are produced visit by visit and written with ``executemany`` in batches of a few
thousand, so a ``large`` day (about 20,000 visits) builds in about a minute and memory stays
flat. The same seed always gives the same hospital.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, func, select

from hisbridge.errors import HisbridgeError
from hisbridge.simulators.his.encounters import admission, inpatient_day, outpatient
from hisbridge.simulators.his.group import HisGroup
from hisbridge.simulators.his.hospital import Hospital, Rows
from hisbridge.simulators.his.schema import his_metadata

__all__ = ["SCALES", "BuildReport", "HisWriter", "Scale", "build_day", "visit_times"]

Scale = Literal["small", "medium", "large"]
SCALES: dict[str, int] = {"small": 200, "medium": 3000, "large": 20000}
_BATCH = 2000
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class BuildReport:
    """What was written: rows per HIS table and how long it took."""

    day: date
    visits: int
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    changes: Counter[str] = field(default_factory=Counter)


class HisWriter:
    """Buffers rows per table and writes them in batches inside one transaction each."""

    def __init__(self, engine: Engine, batch: int = _BATCH) -> None:
        self.engine = engine
        self.batch = batch
        self.pending: dict[str, list[dict[str, object]]] = {}
        self.counts: Counter[str] = Counter()

    def add(self, rows: Rows) -> None:
        for table, items in rows.items():
            buffer = self.pending.setdefault(table, [])
            buffer.extend(items)
            if len(buffer) >= self.batch:
                self._write(table)

    def flush(self) -> None:
        for table in list(self.pending):
            self._write(table)

    def _write(self, table: str) -> None:
        rows = self.pending.pop(table, [])
        if rows:
            with self.engine.begin() as conn:
                conn.execute(his_metadata.tables[table].insert(), rows)
            self.counts[table] += len(rows)


def visit_times(rng: random.Random, day: datetime, count: int,
                now: datetime | None) -> list[datetime]:
    """Visit times over the working day (07:30-22:00), squeezed before ``now`` for today."""
    start, span = day + timedelta(hours=7, minutes=30), 14.5 * 3600
    if now is not None and now < start + timedelta(seconds=span):
        start, span = day, max(60.0, (now - day).total_seconds() * 0.9)
    return sorted(start + timedelta(seconds=int(rng.random() * span)) for _ in range(count))


def _ensure_schema(engine: Engine, day: datetime, reset: bool) -> bool:
    """Create the tables; True when the dictionaries still have to be written."""
    if reset:
        his_metadata.drop_all(engine)
    his_metadata.create_all(engine)
    tables = his_metadata.tables
    with engine.connect() as conn:
        visits = conn.execute(select(func.count()).select_from(tables["clinic_master"]).where(
            tables["clinic_master"].c.visit_no.like(f"MZ{day:%Y%m%d}%"))).scalar_one()
        if visits:
            raise HisbridgeError(f"该日期已有模拟数据 the HIS already holds {day:%Y-%m-%d}",
                                 hint="加 --reset 重建，或换一个 --date")
        return not conn.execute(select(func.count()).select_from(tables["dept_dict"])).scalar()


def build_day(
    engine: Engine, day: date, scale: Scale | int = "small", seed: int = 1, *,
    now: datetime | None = None, reset: bool = False, progress: Progress | None = None,
    corrections: float = 0.0, group: HisGroup | None = None,
) -> BuildReport:
    """Write one day of hospital activity; ``now`` (naive local) caps times for today.

    With ``group`` the HIS is a county group's (``hisbridge.simulators.his.group``).

    ``corrections`` is the share of rows then cancelled, corrected or deleted (see
    ``apply_corrections``), stamped at the end of the day (or ``now``).
    """
    started = time.monotonic()
    midnight = datetime(day.year, day.month, day.day)
    visits = SCALES[scale] if isinstance(scale, str) else int(scale)
    hospital = Hospital(seed, midnight, group=group)
    writer = HisWriter(engine)
    if _ensure_schema(engine, midnight, reset):
        writer.add(hospital.dictionaries())
    rng = random.Random(seed + 1)
    for when in visit_times(rng, midnight, max(1, visits * 8 // 100), None):
        early = when.replace(hour=6) + timedelta(seconds=rng.randrange(3600))
        if now is not None and early >= now:  # before dawn today: the ward round has begun
            early = midnight + (now - midnight) * rng.random()
        writer.add(inpatient_day(hospital, early.replace(microsecond=0)))
    for n, when in enumerate(visit_times(rng, midnight, visits, now), start=1):
        writer.add(outpatient(hospital, when))
        if rng.random() < 0.06:
            writer.add(admission(hospital, when + timedelta(minutes=rng.randint(20, 120))))
        if progress and (n % 200 == 0 or n == visits):
            progress(n, visits)
    writer.flush()
    report = BuildReport(day, visits, writer.counts, time.monotonic() - started)
    if corrections > 0:
        from hisbridge.simulators.his.changes import apply_corrections

        report.changes = apply_corrections(engine, day, seed=seed, when=now, share=corrections)
    report.seconds = time.monotonic() - started
    return report
