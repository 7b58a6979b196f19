"""``reconcile`` names ``hisbridge sync deletes`` whenever the front-end holds rows the HIS
deleted — also on a day that has missing rows too (it used to stop at the missing ones)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.runtime import extraction
from hisbridge.sources import reconcile as reconcile_module
from hisbridge.sources.reconcile import TableReconciliation

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_groups:
        _register()


@pytest.mark.parametrize("missing", [0, 17])
def test_the_deletes_command_is_named_whatever_else_is_wrong(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: int) -> None:
    line = TableReconciliation("emr_ex_lab_item", source=30, missing=missing, frontend_only=2,
                               frontend_only_ids=["L1-01", "L1-02"])

    @contextlib.contextmanager
    def pipeline(_config: Any) -> Iterator[Any]:
        yield SimpleNamespace(poller=None, engine=None, project=None)

    monkeypatch.setattr(extraction, "open_pipeline", pipeline)
    monkeypatch.setattr(reconcile_module, "reconcile_day", lambda *_a, **_k: [line])
    out = runner.invoke(app, ["reconcile", "-c", str(tmp_path / "h.yaml"), "--date",
                              "2026-12-05"])
    assert out.exit_code == 1
    assert "hisbridge sync deletes" in out.output and "--date 2026-12-05" in out.output
