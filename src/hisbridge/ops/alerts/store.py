"""Alert state in the store (``alert_events``): what fires, since when, when last sent."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, insert, select, update

from hisbridge.ops.alerts.cooldown import OpenAlert, Plan
from hisbridge.store.schema.console import alert_events
from hisbridge.store.times import from_store, to_store

__all__ = ["AlertRow", "apply_plan", "list_alerts", "open_alerts"]

_e = alert_events.c


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    rule: str
    subject: str
    severity: str
    message: str
    message_en: str
    first_at: datetime
    last_at: datetime
    last_sent_at: datetime | None
    seen: int
    resolved_at: datetime | None


def open_alerts(engine: Engine) -> dict[tuple[str, str], OpenAlert]:
    with engine.connect() as conn:
        rows = conn.execute(select(_e.rule, _e.subject, _e.last_sent_at)
                            .where(_e.resolved_at.is_(None))).all()
    return {(r.rule, r.subject): OpenAlert(r.rule, r.subject, from_store(r.last_sent_at)) for r in rows}


def _is_open(rule: str, subject: str) -> ColumnElement[bool]:
    return and_(_e.rule == rule, _e.subject == subject, _e.resolved_at.is_(None))


def apply_plan(engine: Engine, plan: Plan, now: datetime, sent: Collection[tuple[str, str]]) -> None:
    """Write one evaluation: open new rows, count repeats, close resolved ones.

    ``sent`` holds the keys the webhook accepted; the others keep ``last_sent_at`` so that they
    are tried again on the next evaluation rather than waiting out a cool-down.
    """
    stamp = to_store(now)
    with engine.begin() as conn:
        for a in plan.new:
            conn.execute(insert(alert_events).values(
                rule=a.rule, subject=a.subject[:200], severity=a.severity, message=a.message_zh,
                message_en=a.message_en,
                first_at=stamp, last_at=stamp, last_sent_at=stamp if a.key in sent else None,
                seen=1, resolved_at=None))
        for a in plan.remind + plan.quiet:
            values: dict[str, object] = {"last_at": stamp, "seen": _e.seen + 1,
                                         "message": a.message_zh, "message_en": a.message_en,
                                         "severity": a.severity}
            if a.key in sent:
                values["last_sent_at"] = stamp
            conn.execute(update(alert_events).where(_is_open(a.rule, a.subject)).values(**values))
        for o in plan.resolved:
            conn.execute(update(alert_events).where(_is_open(o.rule, o.subject))
                         .values(resolved_at=stamp))


def list_alerts(engine: Engine, *, active: bool, limit: int = 100) -> list[AlertRow]:
    """Firing alerts (``active``) or the latest resolved ones, newest first."""
    where = _e.resolved_at.is_(None) if active else _e.resolved_at.is_not(None)
    with engine.connect() as conn:
        rows = conn.execute(select(alert_events).where(where).order_by(_e.last_at.desc(), _e.id.desc())
                            .limit(limit)).all()
    return [AlertRow(r.id, r.rule, r.subject, r.severity, r.message, r.message_en,
                     from_store(r.first_at),  # type: ignore[arg-type]
                     from_store(r.last_at), from_store(r.last_sent_at), r.seen,  # type: ignore[arg-type]
                     from_store(r.resolved_at)) for r in rows]
