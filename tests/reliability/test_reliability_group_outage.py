"""Issue 21: one institution's front-end down never delays another's delivery (SQLite and
PostgreSQL; a few seconds here, ``scripts/reliability.py --only group --minutes 1`` for a minute).
"""

from __future__ import annotations

from pathlib import Path

from group_faults import CODES, DOWN, run_group_outage
from sqlalchemy import Engine, func, select

from hisbridge.store.schema.outbox import attempts

# How much slower A's and C's deliveries may be while B is down than before (a shared CI
# machine's noise); a shared worker stalled by B's breaker would add whole seconds.
SLACK_S = 0.75


async def test_one_of_three_front_ends_down_leaves_the_others_latency_unchanged(
        tmp_path: Path, store_engine: Engine) -> None:
    report = await run_group_outage(tmp_path, store_engine,
                                    store_engine.url.render_as_string(hide_password=False),
                                    lead_s=2.0, outage_s=4.0)
    figures = report.figures
    assert figures.lost == [] and figures.duplicates == 0, figures.as_dict()
    assert figures.delivered == figures.records_in > 0  # B's too, each once, after the outage
    assert figures.failed_sends > 0  # B's front-end really refused
    for code in CODES:
        if code == DOWN:
            continue
        assert report.before[code] and report.during[code]
        assert report.p95("during", code) <= report.p95("before", code) + SLACK_S, report.summary()
    # B's own records did wait for its front-end: the outage was real for it alone
    assert max(report.during[DOWN]) > 1.0, report.summary()
    a = attempts.c
    with store_engine.connect() as conn:
        failed = dict(conn.execute(select(a.target, func.count()).where(
            a.verdict != "delivered").group_by(a.target)).all())
    assert list(failed) == [next(t for t in failed if t.endswith(f"[{DOWN}]"))], failed
