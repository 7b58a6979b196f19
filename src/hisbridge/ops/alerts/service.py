"""One alert evaluation, end to end: snapshot, rules, cool-down plan, webhook, store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from hisbridge._clock import Clock, system_clock
from hisbridge.ops.alerts import store
from hisbridge.ops.alerts.cooldown import Plan, plan
from hisbridge.ops.alerts.rules import Alert, Snapshot, Thresholds, evaluate
from hisbridge.ops.alerts.snapshot import read_snapshot
from hisbridge.ops.alerts.webhook import Notifier, WebhookNotifier, payload
from hisbridge.ops.settings import AlertSettings

__all__ = ["AlertService", "SnapshotReader", "thresholds_of"]

SnapshotReader = Callable[[Engine, datetime, timedelta], Snapshot]

log = logging.getLogger("hisbridge.ops.alerts")


def thresholds_of(cfg: AlertSettings) -> Thresholds:
    return Thresholds(cfg.dead_growth, timedelta(minutes=cfg.dead_window_minutes),
                      timedelta(minutes=cfg.pending_max_minutes),
                      timedelta(minutes=cfg.source_idle_minutes), timedelta(hours=cfg.key_expiry_hours))


def _notifier(cfg: AlertSettings) -> Notifier | None:
    if not cfg.webhook_url:
        return None
    secret = cfg.webhook_secret.get_secret_value() if cfg.webhook_secret else None
    return WebhookNotifier(cfg.webhook_url, secret, timeout_s=cfg.webhook_timeout_s)


class AlertService:
    """Evaluate the rules, send what the cool-down allows, remember it."""

    def __init__(self, engine: Engine, cfg: AlertSettings, *, clock: Clock = system_clock,
                 notifier: Notifier | None = None, reader: SnapshotReader = read_snapshot) -> None:
        self.engine = engine
        self.reader = reader
        self.cfg = cfg
        self.clock = clock
        self.thresholds = thresholds_of(cfg)
        self.notifier = notifier if notifier is not None else _notifier(cfg)

    def firing(self) -> list[Alert]:
        """What fires right now (nothing is stored or sent)."""
        now = self.clock.now()
        return evaluate(self.reader(self.engine, now, self.thresholds.dead_window), self.thresholds)

    async def run_once(self) -> Plan:
        """One evaluation; returns what was decided."""
        now = self.clock.now()
        firing = await asyncio.to_thread(self.firing)
        known = await asyncio.to_thread(store.open_alerts, self.engine)
        decided = plan(firing, known, now, timedelta(minutes=self.cfg.cooldown_minutes))
        sent: set[tuple[str, str]] = set()
        if self.notifier is not None and (decided.to_send or decided.resolved):
            if await self.notifier.send(payload(decided.to_send, decided.resolved, now), now):
                sent = {a.key for a in decided.to_send}
        await asyncio.to_thread(store.apply_plan, self.engine, decided, now, sent)
        return decided

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Evaluate every ``interval_s`` until ``stop`` is set; an error is logged, not fatal."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as exc:
                log.error("alert evaluation failed", extra={"kind": type(exc).__name__})
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.cfg.interval_s)
            except TimeoutError:
                pass
