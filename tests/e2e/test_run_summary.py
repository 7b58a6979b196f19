"""``hisbridge run`` tells what it does: a summary line per interval (here 0.5 s) with polled,
accepted, delivered, held, dead, backlog and the oldest waiting age, in the configured log
format; a failing HIS gives a line per failed poll."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

import hisbridge
from hisbridge.project.example import write_example
from hisbridge.simulators.his import build_day
from hisbridge.testing import ReceiverState, serve_receiver
from hisbridge.testing.receiver import free_ports

SRC = str(Path(hisbridge.__file__).resolve().parents[1])


def _events(log: Path) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text("utf-8", "replace").splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def _summaries(log: Path) -> list[dict[str, Any]]:
    return [e for e in _events(log) if e.get("logger") == "hisbridge.activity"
            and e.get("event") == "运行概况 summary"]


def _run_until(config: Path, log: Path, done: Any, timeout: float = 180.0) -> None:
    env = {**os.environ, "PYTHONPATH": SRC, "HISBRIDGE_LOG_JSON": "1"}
    with log.open("ab") as out:
        gateway = subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c", str(config),
                                    "--port", str(free_ports(1)[0])],
                                   stdout=out, stderr=out, env=env)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done() and gateway.poll() is None:
            time.sleep(0.2)
    finally:
        gateway.terminate()
        gateway.wait(30)
    assert done(), log.read_text("utf-8", "replace")[-3000:]


def test_run_prints_a_summary_line_per_interval(tmp_path: Path) -> None:
    his = f"sqlite:///{tmp_path / 'his.sqlite'}"
    build_day(create_engine(his), date.today() - timedelta(days=1), "small", seed=6, reset=True)
    with serve_receiver(ReceiverState()) as url:
        config = write_example(tmp_path / "p", his_url=his, frontend_url=url,
                               store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
        with config.open("a", encoding="utf-8") as f:
            f.write("\nlog:\n  summary_every_s: 0.5\n")
        log = tmp_path / "run.log"

        def delivered() -> bool:
            return sum(int(e.get("delivered", 0)) for e in _summaries(log)) > 0

        _run_until(config, log, delivered)
    lines = [e for e in _summaries(log) if e["platform"] == "frontend"]
    assert {"polled", "accepted", "held", "delivered", "dead", "backlog",
            "oldest_waiting_s"} <= set(lines[0])
    consents = [e for e in _summaries(log) if e["platform"] == "gdhealth"]
    assert consents and set(consents[0]) >= {"polled", "accepted", "failed_polls"}
    assert "delivered" not in consents[0]
    assert sum(int(e["polled"]) for e in lines) >= sum(int(e["accepted"]) for e in lines) > 0


def test_a_failing_his_gives_one_line_per_failed_poll(tmp_path: Path) -> None:
    his = f"sqlite:///{tmp_path / 'his.sqlite'}"
    build_day(create_engine(his), date.today() - timedelta(days=1), "small", seed=6, reset=True)
    config = write_example(tmp_path / "p", his_url=his, frontend_url="http://127.0.0.1:9",
                           store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
    with config.open("a", encoding="utf-8") as f:
        f.write("\nlog:\n  summary_every_s: 0.5\n")
    sql = config.parent / "mappings" / "01_emr_patient_info.sql"
    sql.write_text(sql.read_text("utf-8").replace("FROM (SELECT", "FROM (SELECT nope,"), "utf-8")
    log = tmp_path / "run.log"

    def failed() -> bool:
        return any(e.get("event") == "抽取失败 poll failed" for e in _events(log)) and any(
            int(e["failed_polls"]) for e in _summaries(log))

    _run_until(config, log, failed)
    lines = [e for e in _events(log) if e.get("event") == "抽取失败 poll failed"]
    assert lines[0]["table"] == "emr_patient_info" and lines[0]["platform"] == "frontend"
    assert lines[0]["error"]


def test_records_pushed_by_the_his_are_counted_in_the_summary(tmp_path: Path) -> None:
    """A hospital that pushes (push API) instead of being polled sees its records in the
    summary too: accepted and held (quarantined) count pushed records. The HIS here is an
    empty database, so polling accepts nothing and every count comes from the pushes."""
    import httpx

    from hisbridge.settings import load_settings

    his = f"sqlite:///{tmp_path / 'empty-his.sqlite'}"
    create_engine(his).connect().close()
    port = free_ports(1)[0]
    config = write_example(tmp_path / "p", his_url=his, frontend_url="http://127.0.0.1:9",
                           store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
    with config.open("a", encoding="utf-8") as f:
        f.write("\nlog:\n  summary_every_s: 0.5\n")
    token = load_settings(config).push.token
    assert token is not None
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
    log = tmp_path / "run.log"
    pushed: list[int] = []

    def counted() -> bool:
        if not pushed:
            try:
                reply = httpx.post(f"http://127.0.0.1:{port}/api/v1/events/base_dept",
                                   headers=headers, timeout=5, json=[
                                       {"dept_code": "0301", "dept_name": "内科"},
                                       {"dept_code": "0302"}])  # no name: quarantined
            except httpx.HTTPError:
                return False
            pushed.append(reply.status_code)
        lines = [e for e in _summaries(log) if e["platform"] == "frontend"]
        return sum(int(e["accepted"]) for e in lines) >= 1 and sum(
            int(e["held"]) for e in lines) >= 1

    env = {**os.environ, "PYTHONPATH": SRC, "HISBRIDGE_LOG_JSON": "1"}
    with log.open("ab") as out:
        gateway = subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c", str(config),
                                    "--port", str(port)], stdout=out, stderr=out, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not counted() and gateway.poll() is None:
            time.sleep(0.3)
    finally:
        gateway.terminate()
        gateway.wait(30)
    assert pushed == [202], log.read_text("utf-8", "replace")[-2000:]
    lines = [e for e in _summaries(log) if e["platform"] == "frontend"]
    assert sum(int(e["accepted"]) for e in lines) == 1, lines
    assert sum(int(e["held"]) for e in lines) == 1, lines
