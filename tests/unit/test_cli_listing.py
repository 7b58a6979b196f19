"""The listing helper prints HIS data as data: a record key or value pushed by the HIS (a
quarantined key may hold anything) can neither crash the table, be read as rich markup, nor
send control characters (terminal escapes, bell, line breaks) to the operator's terminal or
break a TSV line."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from hisbridge.cli.listing import Listing, emit

HOSTILE = ["[/x]", "[bold]B[/bold]", "\x1b[31mRED\x1b[0m", "A\x07B", "line\nbreak\tcell\r",
           "\x9bC1", "DEL\x7f"]


def _printed(terminal: bool) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=400, color_system=None)
    emit(Listing("t", ["key", "value"], [[k, "ok"] for k in HOSTILE]), console=console)
    return buffer.getvalue()


def _no_control(text: str) -> None:
    bad = [c for c in text if c not in "\n\t" and (ord(c) < 32 or 0x7F <= ord(c) < 0xA0)]
    assert not bad, [hex(ord(c)) for c in bad]


def test_a_terminal_table_shows_hostile_keys_as_text() -> None:
    out = _printed(terminal=True)
    _no_control(out)
    assert "[/x]" in out and "[bold]B[/bold]" in out
    assert "\\x1b[31mRED" in out and "A\\x07B" in out


def test_piped_tsv_keeps_one_line_per_row_and_no_control_characters(
        capsys: pytest.CaptureFixture[str]) -> None:
    _printed(terminal=False)
    out = capsys.readouterr().out
    _no_control(out)
    lines = out.splitlines()
    assert len(lines) == 1 + len(HOSTILE)
    assert all(line.count("\t") == 1 for line in lines)
    assert "A\\x07B" in out and "[/x]" in out


def test_json_keeps_the_values_exact(capsys: pytest.CaptureFixture[str]) -> None:
    emit(Listing("t", ["key"], [[k] for k in HOSTILE]), as_json=True)
    assert [row["key"] for row in json.loads(capsys.readouterr().out)] == HOSTILE


def test_reconcile_prints_missing_his_keys_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    """The missing and front-end-only keys reconcile lists come from the HIS: '[/x]' among
    them used to end in a MarkupError traceback."""
    from datetime import date

    from hisbridge.cli import reconcile as cli_reconcile
    from hisbridge.sources.reconcile import TableReconciliation

    line = TableReconciliation("emr_patient_info", source=2, missing=1, frontend_only=1,
                               missing_ids=["[/x]"], frontend_only_ids=["A\x07B"])
    cli_reconcile._print(date(2026, 3, 1), [line], {}, 0, False)
    out = capsys.readouterr().out
    _no_control(out)
    assert "[/x]" in out and "A\\x07B" in out
