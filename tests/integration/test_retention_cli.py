"""`hisbridge outbox prune [--dry-run] [--json]` as an engineer runs it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from hisbridge._clock import system_clock
from hisbridge.cli import _register, app
from hisbridge.delivery.outcome import Outcome
from hisbridge.delivery.retry import Decision
from hisbridge.dictionary import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.outbox import Completion, OutboxQueue
from hisbridge.testing import ManualClock, sample_record

if not any(group.name == "outbox" for group in app.registered_groups):
    _register()
runner = CliRunner()


def _old_history(db: Path) -> None:
    """Two delivered versions of one patient, both 200 days ago, and one still queued."""
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    clock = ManualClock(system_clock.now() - timedelta(days=200))
    intake = StoreIntake(engine, Validator("lenient"), clock=clock)
    queue = OutboxQueue(engine, clock=clock)
    for tel in ("1", "2"):
        intake.accept("emr_patient_info", [sample_record("emr_patient_info", "p0", tel=tel)])
        items = queue.claim("w", 10, 60.0)
        queue.complete("w", "t", [Completion(i, Outcome.delivered(), Decision("delivered"),
                                             clock.now()) for i in items])
    intake.accept("emr_patient_info", [sample_record("emr_patient_info", "p1")])
    engine.dispose()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_prune_previews_then_deletes(tmp_path: Path) -> None:
    config = tmp_path / "hisbridge.yaml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'store.db'}\n", "utf-8")
    _old_history(tmp_path / "store.db")
    code, out = run("outbox", "prune", "-c", str(config), "--dry-run")
    assert code == 0 and "预览 dry run" in out and "would delete" in out and "never pruned" in out
    code, out = run("outbox", "prune", "-c", str(config), "--dry-run", "--json")
    preview = json.loads(out)
    assert code == 0 and preview["counts"]["outbox"] == 1 and preview["counts"]["records"] == 1
    code, out = run("outbox", "prune", "-c", str(config))
    assert code == 0 and "已删除 deleted" in out
    code, out = run("outbox", "prune", "-c", str(config), "--json")
    assert json.loads(out)["total"] == 0
    code, out = run("outbox", "status", "-c", str(config), "--json")
    assert json.loads(out)["counts"] == {"emr_patient_info": {"delivered": 1, "pending": 1}}
