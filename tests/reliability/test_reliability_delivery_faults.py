"""Zero loss under front-end faults (CI sizes; ``scripts/reliability.py`` runs bigger ones).

Each test reconciles at the end: every accepted record is delivered and stored by the
simulator, or dead-lettered with a reason; nothing is left waiting.
"""

from __future__ import annotations

from pathlib import Path

from delivery_faults import error_mix, outage, run_plan, slow


async def test_a_front_end_outage_then_recovery_loses_nothing(tmp_path: Path) -> None:
    figures = await run_plan(tmp_path, outage(6), 400)
    assert figures.lost == [], figures.as_dict()
    assert figures.notes == [], figures.notes
    assert figures.delivered == figures.records_in == 400
    assert figures.failed_sends > 0  # the outage really refused sends
    # The circuit breaker: a handful of failures open it, then one probe at a time (0.2 s
    # doubling to 2 s). Without it the same run made ~1,900 failed requests.
    assert figures.failed_sends < 150, figures.as_dict()
    assert figures.recover_s is not None and figures.recover_s < 30


async def test_twenty_percent_mixed_errors_are_retried_to_success(tmp_path: Path) -> None:
    figures = await run_plan(tmp_path, error_mix(0.2, 8), 600, concurrency=16)
    assert figures.lost == [], figures.as_dict()
    # 01, 99, 5xx, timeouts and drops are all transient: nothing may end dead.
    assert figures.dead == {} and figures.delivered == 600, figures.as_dict()
    # Timed-out requests were stored by the simulator and re-sent: counted, harmless upserts.
    assert figures.failed_sends > 0, figures.as_dict()


async def test_slow_replies_lose_nothing(tmp_path: Path) -> None:
    figures = await run_plan(tmp_path, slow(300, 3), 200, concurrency=16)
    assert figures.lost == [] and figures.delivered == 200, figures.as_dict()
    assert figures.duplicates == 0, figures.as_dict()
