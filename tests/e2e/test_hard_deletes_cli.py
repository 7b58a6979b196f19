"""Rows deleted outright in the HIS (no delete flag), for sites that run ``sync once`` from a
scheduler: ``reconcile`` says the front-end holds rows the HIS no longer has and names the
command, ``sync deletes`` sends them (children first), and the day reconciles clean.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from hisbridge import _json
from hisbridge._clock import CHINA_TZ
from hisbridge.cli import _register, app
from hisbridge.project.example import write_example
from hisbridge.simulators.frontend import create_frontend_app
from hisbridge.simulators.his import build_day
from hisbridge.testing import serve_app

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_groups:
        _register()


def _yesterday() -> date:
    return (datetime.now(CHINA_TZ) - timedelta(days=1)).date()


def _remove_lab_results(his_url: str, count: int) -> set[str]:
    his = create_engine(his_url)
    with his.begin() as conn:
        keys = [r[0] for r in conn.execute(text(
            f"SELECT result_id FROM lab_result ORDER BY result_id LIMIT {count}"))]
        conn.execute(text("DELETE FROM lab_result WHERE result_id IN ("
                          + ", ".join(f"'{k}'" for k in keys) + ")"))
    his.dispose()
    return {str(k) for k in keys}


def _at_front_end(sim_db: str, keys: set[str]) -> set[str]:
    sim = create_engine(sim_db)
    with sim.connect() as conn:
        held = {str(r[0]) for r in conn.execute(text("SELECT id FROM emr_ex_lab_item"))}
    sim.dispose()
    return held & keys


def _reconcile(config: Path, day: date) -> tuple[int, dict[str, object], str]:
    out = runner.invoke(app, ["reconcile", "-c", str(config), "--date", day.isoformat(),
                              "--table", "emr_ex_lab_item", "--json"])
    text_out = runner.invoke(app, ["reconcile", "-c", str(config), "--date", day.isoformat(),
                                   "--table", "emr_ex_lab_item"]).output
    return out.exit_code, _json.loads(out.output.strip().splitlines()[-1]), text_out


@pytest.mark.parametrize("command", [["sync", "deletes"], ["sync", "once", "--sweep-deletes"]])
def test_hard_deletes_are_found_by_reconcile_and_sent_on_demand(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    day = _yesterday()
    his_url = f"sqlite:///{tmp_path / 'his.sqlite'}"
    build_day(create_engine(his_url), day, "small", seed=3, reset=True)
    sim_db = f"sqlite:///{tmp_path / 'frontend.db'}"
    monkeypatch.setenv("HISBRIDGE_HIS__INITIAL_SINCE", f"{day.isoformat()}T00:00:00")
    with serve_app(create_frontend_app(store_url=sim_db)) as url:
        config = write_example(tmp_path / "p", his_url=his_url, frontend_url=url,
                               store_url=f"sqlite:///{tmp_path / 'store.db'}")[0]
        first = runner.invoke(app, ["sync", "once", "-c", str(config)])
        assert first.exit_code == 0, first.output
        gone = _remove_lab_results(his_url, 4)
        assert _at_front_end(sim_db, gone) == gone

        code, report, shown = _reconcile(config, day)
        line = report["tables"][0]  # type: ignore[index]
        assert code == 1 and line["frontend_only"] == 4 and line["missing"] == 0
        assert sorted(line["frontend_only_ids"]) == sorted(gone)
        assert "仅前置机有" in shown and "hisbridge sync deletes" in shown

        args = [*command, "-c", str(config)] + (["--date", day.isoformat()]
                                                if command[1] == "deletes" else [])
        sent = runner.invoke(app, args)
        assert sent.exit_code == 0, sent.output
        assert _at_front_end(sim_db, gone) == set()
        code, report, _ = _reconcile(config, day)
        assert code == 0 and report["tables"][0]["frontend_only"] == 0  # type: ignore[index]
