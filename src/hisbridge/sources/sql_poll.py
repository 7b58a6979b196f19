"""Polling the HIS with the project's SQL mappings, into any ``Intake``.

One poll of one table: run the mapping over ``[since, until]`` as a stream, map each row,
hand batches to the intake, and move the watermark after each batch the intake committed —
never before. The next poll starts ``overlap_s`` before the watermark, so rows committed late
with an older timestamp are still seen (re-read rows count as ``unchanged``). Deletes come from
the mapping's delete flag, or, for tables without one, from ``sweep_deletes``: the keys seen for
a day minus the keys the HIS still returns.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.dictionary import Violation
from hisbridge.errors import ConfigError, HisbridgeError
from hisbridge.logs import get_logger
from hisbridge.mapping import MappedRow
from hisbridge.mapping.rows import triage
from hisbridge.privacy import scrub
from hisbridge.project import Project
from hisbridge.sources.sql_session import open_source, stream_rows
from hisbridge.sources.watermarks import RunCounts, SourceState, his_mark, vars_of
from hisbridge.store.ports import Intake, Op

__all__ = ["DayScan", "PollReport", "SqlPoller"]

_EXAMPLES = 5
_TICK = timedelta(microseconds=1)
_Bad = tuple[str | None, tuple[Violation, ...]]  # (record key, why it was refused)
log = get_logger(__name__)


@dataclass(slots=True)
class PollReport:
    """What one poll of one table did; ``error`` is set when it stopped early."""

    table: str
    since: datetime
    until: datetime
    watermark: datetime | None = None  # after the poll (the stored one when nothing moved it)
    counts: RunCounts = field(default_factory=RunCounts)
    unmapped: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    dropped: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # by optional maps
    generalised: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)  # kept back, by do-not-send rule
    examples: list[tuple[str | None, tuple[Violation, ...]]] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class DayScan:
    """A day of one table as the mapping sends it: the keys, how many rows were kept back, and
    the codes optional maps left out or the hierarchy generalised in the rows sent."""

    keys: set[str] = field(default_factory=set)
    excluded: int = 0
    dropped: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # by optional maps
    generalised: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)


class SqlPoller:
    """Extracts the project's tables from the HIS into ``intake``; state lives in ``store``."""

    def __init__(self, project: Project, intake: Intake, store: Engine, *,
                 source_engine: Engine | None = None, clock: Clock = system_clock) -> None:
        his = project.settings.his
        if source_engine is None and not his.source_url:
            raise ConfigError("未配置 HIS 数据库 his.source_url is not set",
                              hint="在 hisbridge.yaml 的 his.source_url 填写只读账号的连接串")
        self.project = project
        self.intake = intake
        self.clock = clock
        self.zone = his.zone()
        self.state = SourceState(store, project.source_name, self.zone)
        self._owns_source = source_engine is None
        self.source = source_engine or open_source(str(his.source_url),
                                                   statement_timeout_s=his.statement_timeout_s)

    def close(self) -> None:
        """Release the HIS connections this poller opened."""
        if self._owns_source:
            self.source.dispose()

    def __enter__(self) -> SqlPoller:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def now(self) -> datetime:
        """The HIS's local time (naive, in ``his.timezone``)."""
        return self.clock.now().astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    # ---- polling -------------------------------------------------------------------------
    def poll_all(self, group: str | None = None) -> list[PollReport]:
        """Poll every mapped table (parents first); ``group`` is realtime, t0 or base."""
        return [self.poll_table(table) for table in self.project.tables(group)]

    def poll_table(self, table: str, since: datetime | None = None,
                   until: datetime | None = None) -> PollReport:
        """One incremental poll; the report says what happened, errors included."""
        name = self.project.dictionary.table(table).name
        stored = self.state.watermark(name)
        until = until or self.now()
        since = since or self._since(stored)
        report = PollReport(name, since, until, watermark=stored)
        started = time.monotonic()
        run_id = self.state.start_run(name, since, until, self.clock.now())
        try:
            self._poll(report)
        except HisbridgeError as exc:
            report.error = scrub(str(exc))
        except Exception as exc:  # recorded as a failed run, then raised: it is a bug or the store
            first = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else ""
            report.error = scrub(f"{type(exc).__name__}: {first}")[:500]
            raise
        finally:
            report.seconds = time.monotonic() - started
            self._count_codes(report)
            self.state.finish_run(run_id, report.counts, self.clock.now(), report.error)
            log.info("source.poll", source=self.project.source_name, table=name,
                     seconds=round(report.seconds, 3), error=report.error,
                     **vars_of(report.counts))
        return report

    def _count_codes(self, report: PollReport) -> None:
        self.state.count_codes(report.table, report.unmapped, report.dropped, report.generalised,
                               self.clock.now())

    def _since(self, mark: datetime | None) -> datetime:
        if mark is None:
            return self.project.settings.his.initial_since.replace(tzinfo=None)
        return mark - timedelta(seconds=self.project.settings.his.overlap_s)

    def _rows(self, table: str, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        mapping = self.project.mapping(table)
        his = self.project.settings.his
        for page in stream_rows(self.source, mapping.sql, {"since": since, "until": until},
                                fetch_size=his.fetch_size, path=mapping.path):
            yield from page

    def _poll(self, report: PollReport) -> None:
        mapper = self.project.mapper(report.table)
        size = self.project.settings.his.batch_size
        batch: list[MappedRow] = []
        for mapped in mapper.map_rows(self._rows(report.table, report.since, report.until)):
            report.counts.rows_read += 1
            batch.append(mapped)
            if len(batch) >= size:
                self._hand_over(report, batch)
                batch = []
        if batch:
            self._hand_over(report, batch)

    def _hand_over(self, report: PollReport, batch: list[MappedRow]) -> None:
        """Give one batch to the intake, then (only then) move the watermark."""
        self._exclude(report.table, batch)
        upserts, deletes, mapping_bad = self._sort(report, batch)
        kept, intake_bad, unchanged = self._accept(report, "upsert", upserts)
        _, deletes_bad, deleted_before = self._accept(report, "delete", deletes)
        intake_bad += deletes_bad
        self._count_row_codes(report, batch, unchanged | deleted_before)
        self._record_rejects(report, "mapping", mapping_bad)
        self._record_rejects(report, "intake", intake_bad)
        self._remember(report.table, kept)
        marks = [m for m in (his_mark(r.watermark, self.zone) for r in batch) if m is not None]
        if marks and (report.watermark is None or max(marks) > report.watermark):
            # never backwards: a re-extraction of an earlier window leaves the watermark alone
            report.watermark = max(marks)
            self.state.set_watermark(report.table, report.watermark, self.clock.now())

    @staticmethod
    def _sort(report: PollReport, batch: list[MappedRow]
              ) -> tuple[list[MappedRow], list[MappedRow], list[_Bad]]:
        """Upserts, deletes and rows the mapping refused; filtered and excluded rows are only
        counted."""
        sorted_rows = triage(batch)
        for row in sorted_rows.excluded:  # a do-not-send rule: never sent, counted by rule
            report.excluded[str(row.excluded)] += 1
        report.counts.filtered += len(sorted_rows.filtered)
        bad = [(row.key, tuple(row.problems)) for row in sorted_rows.refused]
        return sorted_rows.upserts, sorted_rows.deletes, bad

    def _exclude(self, table: str, batch: list[MappedRow]) -> None:
        """Keep back rows whose parent a do-not-send rule kept back; remember every key kept
        back, so that their own children follow. Nothing to do without rules."""
        if not self.project.exclusions.rules:
            return
        for parent in self.project.dictionary.table(table).parent_keys:
            values = {r.record.get(parent.field, "") for r in batch if not r.excluded}
            gone = self.state.excluded_among(parent.table, values)
            for row in batch:
                if not row.excluded and row.record.get(parent.field) in gone:
                    row.excluded = f"parent {parent.table}"
        kept_back = [(r.key, r.excluded) for r in batch if r.excluded and r.key]
        if kept_back:
            self.state.exclude_keys(table, kept_back, self.clock.now())

    @staticmethod
    def _count_row_codes(report: PollReport, batch: list[MappedRow], unchanged: set[str]) -> None:
        """Count the codes of the batch's rows, except rows the intake already had as they are:
        the overlap and the inclusive bounds re-read those every poll, and their codes were
        counted when they were first sent."""
        for row in batch:
            if row.key in unchanged:
                continue
            report.unmapped.update(row.unmapped)
            report.dropped.update(row.dropped)
            report.generalised.update(row.generalised)
            report.counts.unmapped += len(row.unmapped)

    def _accept(self, report: PollReport, op: Op, rows: list[MappedRow]
                ) -> tuple[list[MappedRow], list[_Bad], set[str]]:
        """Hand ``rows`` to the intake; the rows it kept, the ones it refused, and the keys it
        already had unchanged."""
        if not rows:
            return [], [], set()
        result = self.intake.accept(report.table, [r.record for r in rows], op=op,
                                    source=self.project.source_name)
        report.counts.accepted += result.accepted
        report.counts.unchanged += result.unchanged
        report.counts.withheld += result.withheld
        if op == "delete":
            report.counts.deleted += result.accepted
        refused = {rj.index for rj in result.rejected}
        kept = [r for i, r in enumerate(rows) if i not in refused]
        return kept, [(rj.record_id, rj.violations) for rj in result.rejected], result.unchanged_ids

    def _record_rejects(self, report: PollReport, stage: str, bad: list[_Bad]) -> None:
        report.counts.rejected += len(bad)
        report.examples.extend(bad[: max(0, _EXAMPLES - len(report.examples))])
        if bad:
            self.state.add_rejects(report.table, stage, bad, self.clock.now())

    def _remember(self, table: str, rows: Iterable[MappedRow]) -> None:
        """Keep the day's keys for tables whose deletes only a key-set comparison can see."""
        if self.project.mapping(table).delete_flag is not None:
            return
        pairs = []
        for row in rows:
            mark = his_mark(row.watermark, self.zone)
            if row.key and mark is not None:
                pairs.append((mark.date().isoformat(), row.key))
        if pairs:
            self.state.remember_keys(table, pairs)

    # ---- key sets: reconciliation and deletes -------------------------------------------
    def source_keys(self, table: str, day: date, until: datetime | None = None) -> set[str]:
        """The keys the HIS has for ``day`` (by watermark), as the mapping would send them.

        Rows the drug filter drops, rows flagged deleted and rows a do-not-send rule keeps back
        are left out: the same set the front-end should hold for that day.
        """
        return self.scan_day(table, day, until).keys

    def scan_day(self, table: str, day: date, until: datetime | None = None) -> DayScan:
        """``source_keys`` with the count of rows kept back by do-not-send rules."""
        name = self.project.dictionary.table(table).name
        start = datetime(day.year, day.month, day.day)
        last = start + timedelta(days=1) - _TICK  # inclusive bounds: next midnight is not ours
        end = min(until, last) if until else last
        scan = DayScan()
        rows = self.project.mapper(name).map_rows(self._rows(name, start, end))
        while chunk := list(islice(rows, self.project.settings.his.batch_size)):
            self._exclude(name, chunk)
            for row in chunk:
                if row.excluded:
                    scan.excluded += 1
                elif row.key and not row.filtered and row.op == "upsert":
                    scan.keys.add(row.key)
                    scan.dropped.update(row.dropped)
                    scan.generalised.update(row.generalised)
        return scan

    def sweep(self, tables: Iterable[str] | None = None,
              days: Iterable[date] | None = None) -> list[PollReport]:
        """The key-set sweep for ``tables`` (default: every mapped one) and ``days`` (default:
        yesterday and today): what ``run``'s closing sweep, ``sync deletes`` and
        ``sync once --sweep-deletes`` do."""
        today = self.now().date()
        wanted = list(days) if days is not None else [today - timedelta(days=1), today]
        return [self.sweep_deletes(table, day)
                for table in (tables or self.project.tables()) for day in wanted]

    def sweep_deletes(self, table: str, day: date) -> PollReport:
        """Send deletes for keys seen on ``day`` that the HIS no longer returns."""
        name = self.project.dictionary.table(table).name
        start = datetime(day.year, day.month, day.day)
        report = PollReport(name, start, self.now())
        if self.project.mapping(name).delete_flag is not None:
            return report  # the delete flag already carries deletes
        seen = self.state.seen_keys(name, day.isoformat())
        if not seen:
            return report  # nothing was sent for that day: nothing can have vanished
        gone = sorted(seen - self.source_keys(name, day, until=report.until))
        key = self.project.mapping(name).key
        if gone:
            result = self.intake.accept(name, [{key: k} for k in gone], op="delete",
                                        source=self.project.source_name)
            report.counts.deleted = result.accepted + result.unchanged
            self.state.forget_keys(name, day.isoformat(), gone)
        log.info("source.sweep", source=self.project.source_name, table=name,
                 day=day.isoformat(), seen=len(seen), deleted=len(gone))
        return report
