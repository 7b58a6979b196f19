"""The summary line's counts: the backlog and its oldest age from indexed reads (SQLite and
PostgreSQL), deliveries from the worker's counters, one line per platform per interval."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from hisbridge._clock import ManualClock
from hisbridge.delivery.metrics import DeliveryMetrics
from hisbridge.runtime.activity import Activity, backlog, summary_loop
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing import sample_record


def _fill(engine: Engine, clock: ManualClock) -> None:
    upgrade(engine)
    intake = StoreIntake(engine, clock=clock)
    intake.accept("emr_patient_info", [sample_record("emr_patient_info", f"P{i}", serial=i)
                                       for i in range(3)])
    with engine.begin() as conn:
        conn.execute(outbox.update().where(outbox.c.record_id == "P0").values(state="delivered"))


def test_backlog_counts_unfinished_entries_and_the_oldest_age(store_engine: Engine) -> None:
    clock = ManualClock()
    _fill(store_engine, clock)
    waiting, oldest = backlog(store_engine, clock.now() + timedelta(seconds=90))
    assert waiting == 2 and oldest == pytest.approx(90, abs=1)
    with store_engine.begin() as conn:
        conn.execute(outbox.update().values(state="delivered"))
    assert backlog(store_engine, clock.now()) == (0, None)


async def test_summary_loop_logs_one_line_per_platform(store_engine: Engine,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock()
    _fill(store_engine, clock)
    metrics, activity = DeliveryMetrics(), Activity()
    activity.tally("gdhealth").polled += 1
    caplog.set_level(logging.INFO, logger="hisbridge.activity")
    task = asyncio.create_task(summary_loop(activity, store_engine, metrics, 0.05, clock))
    await asyncio.sleep(0.02)
    metrics.child(metrics.delivered, "emr_patient_info").inc(4)
    metrics.child(metrics.retried, "emr_patient_info").inc(1)
    await asyncio.sleep(0.15)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    lines = [r for r in caplog.records if r.name == "hisbridge.activity"]
    front = [r for r in lines if getattr(r, "platform", "") == "frontend"
             and r.getMessage() == "运行概况 summary"]
    assert sum(r.delivered for r in front) == 4  # type: ignore[attr-defined]
    assert front[0].backlog == 2  # type: ignore[attr-defined]
    assert any(r.getMessage().startswith("发送失败") for r in lines)
    gd = [r for r in lines if getattr(r, "platform", "") == "gdhealth"]
    assert gd[0].polled == 1 and not hasattr(gd[0], "delivered")  # type: ignore[attr-defined]
