"""The retention policy, pure: what may be deleted, decided from settings, a time and facts.

Only finished work is ever pruned. An outbox entry is finished (terminal) once it is
``delivered`` or ``dead``; ``pending``, ``in_flight`` and ``retry_wait`` entries are queued work
and kept whatever their age. An entry of the newest version of a record is kept too:
reconciliation reads the newest version's entries, a replay needs its record version, and the
content hash that makes a re-sent record "unchanged" lives beside it in ``record_keys``
(never pruned). The newest delivered entry of a record is kept, because a child record waits
until its parent has a delivered entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from hisbridge._clock import CHINA_TZ
from hisbridge.store.times import to_store

__all__ = ["TERMINAL_STATES", "Cutoffs", "EntryFacts", "RetentionSettings", "attempts_going", "cutoffs",
           "entry_prunable", "state_cutoff"]

# Outbox states that never change again; every other state is queued work.
TERMINAL_STATES = ("dead", "delivered")
_SWEEP_DAYS = 2  # the closing sweep compares yesterday's and today's seen keys


class RetentionSettings(BaseModel):
    """How long the store keeps finished work (``hisbridge.store.retention``); 0 = forever.

    Only finished rows are ever pruned: queued outbox entries, the newest version of every
    record, the audit log, consents and front-end messages are kept whatever their age.
    """

    delivered_days: int = Field(90, ge=0)  # delivered outbox entries of superseded versions
    dead_days: int = Field(365, ge=0)  # dead letters need a human: kept a year by default
    attempts_days: int = Field(30, ge=0)  # attempt rows of delivered entries
    quarantine_days: int = Field(365, ge=0)  # records rejected at intake, with their reasons
    source_runs_days: int = Field(30, ge=0)  # the newest run of every table is always kept
    source_rejects_days: int = Field(90, ge=0)  # HIS rows a mapping or validation rejected
    seen_keys_days: int = Field(7, ge=0)  # at least 2 apply: the sweep reads yesterday's
    sessions_days: int = Field(7, ge=0)  # console sessions, counted from their expiry
    login_attempts_days: int = Field(90, ge=0)  # console login attempts (lockout evidence)
    actions_days: int = Field(0, ge=0)  # console actions are the record of who did what
    alerts_days: int = Field(90, ge=0)  # resolved alerts; firing ones are always kept
    batch_size: int = Field(1000, ge=1, le=5000)  # rows per delete transaction
    every_s: float = Field(86400.0, ge=0)  # how often the gateway prunes; 0 = only the CLI


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """For each kind of row, the instant before which it may go (None: kept forever)."""

    delivered: datetime | None
    dead: datetime | None
    attempts: datetime | None
    quarantine: datetime | None
    source_runs: datetime | None
    source_rejects: datetime | None
    seen_keys_day: str | None  # business days (China time) before this one may go
    sessions: datetime | None
    login_attempts: datetime | None
    actions: datetime | None
    alerts: datetime | None


def _before(now: datetime, days: int) -> datetime | None:
    return to_store(now - timedelta(days=days)) if days > 0 else None


def cutoffs(settings: RetentionSettings, now: datetime) -> Cutoffs:
    """The cutoffs of ``settings`` at ``now``."""
    day = None
    if settings.seen_keys_days > 0:
        keep = max(settings.seen_keys_days, _SWEEP_DAYS)
        day = (now.astimezone(CHINA_TZ).date() - timedelta(days=keep - 1)).isoformat()
    return Cutoffs(
        delivered=_before(now, settings.delivered_days), dead=_before(now, settings.dead_days),
        attempts=_before(now, settings.attempts_days),
        quarantine=_before(now, settings.quarantine_days),
        source_runs=_before(now, settings.source_runs_days),
        source_rejects=_before(now, settings.source_rejects_days), seen_keys_day=day,
        sessions=_before(now, settings.sessions_days),
        login_attempts=_before(now, settings.login_attempts_days),
        actions=_before(now, settings.actions_days), alerts=_before(now, settings.alerts_days))


def state_cutoff(limits: Cutoffs, state: str) -> datetime | None:
    """When entries in ``state`` may go; None for queued states (never) and for 0 days."""
    if state == "delivered":
        return limits.delivered
    if state == "dead":
        return limits.dead
    return None


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """What the store says about one outbox entry, as the policy needs it."""

    state: str
    finished_at: datetime | None
    version: int
    latest_version: int | None  # record_keys.version of its record
    newer_delivered: bool  # a newer version of the record has a delivered entry
    replayed_by: bool  # another entry replays this one (points to it)
    attempts: int = 0
    old_attempts: int = 0  # attempts started before the attempts cutoff


def entry_prunable(facts: EntryFacts, limits: Cutoffs) -> bool:
    """May this entry (with its attempts) be deleted?"""
    cutoff = state_cutoff(limits, facts.state)
    if cutoff is None or facts.finished_at is None or to_store(facts.finished_at) >= cutoff:
        return False
    if facts.latest_version is None or facts.version >= facts.latest_version:
        return False  # the newest version: reconciliation and replays read it
    if facts.replayed_by:
        return False  # its replay still points to it; it goes after the replay
    return facts.state != "delivered" or facts.newer_delivered


def attempts_going(facts: EntryFacts, limits: Cutoffs) -> int:
    """Attempt rows deleted with a pruned entry: all but those the attempts pass took first."""
    taken_before = facts.state == "delivered" and limits.attempts is not None
    return facts.attempts - (facts.old_attempts if taken_before else 0)
