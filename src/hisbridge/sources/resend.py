"""Re-send one record by its HIS key: read it again through its mapping and queue its current
version, or say why it cannot be sent (not in the HIS, filtered out, invalid).

Operators fix a row by hand in the HIS and want that one record out now, without waiting for
the watermark or re-extracting a day. The mapping's query is wrapped as
``SELECT * FROM (<mapping>) hb_one WHERE hb_one.<key> = :hb_key`` over the whole time range
(a subquery: SQL Server needs mappings without a bare ORDER BY for this). An unchanged record
is queued again as a new outbox entry of its latest version, so it is sent even so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine, select

from hisbridge.dictionary import Violation, has_errors
from hisbridge.sources.reconcile import group_codes
from hisbridge.store.institution_keys import carried_org, qualified
from hisbridge.store.schema.outbox import outbox
from hisbridge.store.times import to_store

if TYPE_CHECKING:
    from hisbridge.mapping.rows import MappedRow
    from hisbridge.sources.sql_poll import SqlPoller
    from hisbridge.store.ports import Intake

__all__ = ["ResendResult", "latest_entry", "read_one", "resend_one"]

Verdict = Literal["queued", "requeued", "already_queued", "not_found", "filtered", "invalid"]
_UNFINISHED = ("pending", "in_flight", "retry_wait")
_FOREVER = datetime(2999, 1, 1)


@dataclass(slots=True)
class ResendResult:
    """What happened to the request; ``violations`` say why an invalid record was not sent."""

    table: str
    key: str
    verdict: Verdict
    op: str = "upsert"
    violations: list[Violation] = field(default_factory=list)
    stored: str | None = None  # the stored record id (a group's: ``<org_code>/<key>``)

    @property
    def sent(self) -> bool:
        return self.verdict in ("queued", "requeued", "already_queued")


def read_one(poller: SqlPoller, table: str, key: str) -> MappedRow | None:
    """The record with ``key`` as the mapping gives it now (its newest row), or None."""
    from hisbridge.sources.sql_session import stream_rows

    project = poller.project
    mapping = project.mapping(table)
    query = mapping.sql.strip().rstrip(";")
    sql = f"SELECT * FROM ({query}) hb_one WHERE hb_one.{mapping.key} = :hb_key"
    params = {"since": project.settings.his.initial_since.replace(tzinfo=None),
              "until": _FOREVER, "hb_key": key}
    rows = [row for page in stream_rows(poller.source, sql, params, fetch_size=50,
                                        path=mapping.path) for row in page]
    mapped = list(project.mapper(table).map_rows(rows))
    return mapped[-1] if mapped else None


def resend_one(poller: SqlPoller, intake: Intake, engine: Engine, table: str, key: str,
               now: datetime) -> ResendResult:
    """Queue the record's current version (a new entry even when unchanged)."""
    name = poller.project.dictionary.table(table).name
    row = read_one(poller, name, key)
    if row is None:
        return ResendResult(name, key, "not_found")
    if row.filtered:
        return ResendResult(name, key, "filtered", row.op)
    if row.op == "upsert" and has_errors(row.problems):
        return ResendResult(name, key, "invalid", row.op, list(row.problems))
    result = intake.accept(name, [row.record], op=row.op, source="resend")
    if result.rejected:
        return ResendResult(name, key, "invalid", row.op, list(result.rejected[0].violations))
    stored = key
    if group_codes(intake) and (org := carried_org(row.record)):
        stored = qualified(org, key)  # a group's record of that institution (docs/routing.md)
    if result.accepted:
        return ResendResult(name, key, "queued", row.op, stored=stored)
    return ResendResult(name, key, _requeue_latest(engine, name, stored, now), row.op,
                        stored=stored)


def latest_entry(engine: Engine, table: str, key: str) -> Any:
    """The newest outbox entry of a record (state, reason), or None."""
    o = outbox.c
    with engine.connect() as conn:
        return conn.execute(select(outbox).where(o.table_name == table, o.record_id == key)
                            .order_by(o.id.desc()).limit(1)).first()


def _requeue_latest(engine: Engine, table: str, key: str, now: datetime) -> Verdict:
    last = latest_entry(engine, table, key)
    if last is None or last.state in _UNFINISHED:
        return "already_queued"
    stamp = to_store(now)
    with engine.begin() as conn:
        conn.execute(outbox.insert().values(
            table_name=table, record_id=key, version=last.version, op=last.op,
            parent_table=last.parent_table, parent_id=last.parent_id, state="pending",
            attempts=0, created_at=stamp, next_attempt_at=stamp, replayed=False,
            note="resend", **({"institution": last.institution} if last.institution else {})))
    return "requeued"
