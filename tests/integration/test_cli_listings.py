"""Every listing command survives a pipe: ``--json`` parses, and without it the output through a
pipe is TSV with names and keys whole (``hisbridge dictionary list | cat``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

import hisbridge
from hisbridge.cli import _register, app
from hisbridge.dictionary import load_dictionary
from hisbridge.project.example import write_example
from hisbridge.simulators.his import build_day

runner = CliRunner()
DAY = date.today() - timedelta(days=1)

# Every command that lists things; "{c}" is the project's hisbridge.yaml.
LISTINGS = [
    ("dictionary", "list"),
    ("dictionary", "show", "emr_patient_info"),
    ("dictionary", "show", "emr_patient_info", "-c", "{c}"),
    ("dictionary", "codes"),
    ("dictionary", "codes", "id_card_type"),
    ("outbox", "status", "-c", "{c}"),
    ("outbox", "dead", "-c", "{c}"),
    ("outbox", "held", "-c", "{c}"),
    ("outbox", "prune", "-c", "{c}", "--dry-run"),
    ("user", "list", "-c", "{c}"),
    ("quality", "-c", "{c}"),
    ("warnings", "-c", "{c}"),
    ("authorizations", "-c", "{c}"),
    ("audit", "list", "-c", "{c}"),
    ("reconcile", "-c", "{c}", "--date", DAY.isoformat(), "-t", "base_dept"),
]


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_groups:
        _register()


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("listings")
    his = f"sqlite:///{root / 'his.sqlite'}"
    build_day(create_engine(his), DAY, "small", seed=4, reset=True)
    return write_example(root / "p", his_url=his, frontend_url="http://127.0.0.1:9",
                         store_url=f"sqlite:///{root / 'store.db'}")[0]


@pytest.mark.parametrize("command", LISTINGS, ids=lambda c: " ".join(c[:2]))
def test_every_listing_prints_json_that_parses(command: tuple[str, ...], config: Path) -> None:
    args = [a.replace("{c}", str(config)) for a in command]
    result = runner.invoke(app, [*args, "--json"])
    parsed = json.loads(result.output)
    assert isinstance(parsed, (list, dict))
    if command[0] == "reconcile":
        # Nothing was synced, so the day's HIS rows are missing: reconcile says so with exit 1.
        assert result.exit_code == 1 and parsed["totals"]["missing"] > 0, result.output
    else:
        assert result.exit_code == 0, result.output


def _piped(*args: str) -> str:
    """``python -m hisbridge ARGS | cat`` through a real pipe; our code first on the path."""
    env = {**os.environ, "PYTHONPATH": str(Path(hisbridge.__file__).resolve().parents[1])}
    env.pop("COLUMNS", None)
    command = " ".join([sys.executable, "-m", "hisbridge", *args]) + " | cat"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, env=env,
                          timeout=120, check=True)
    return done.stdout


def test_dictionary_list_through_a_pipe_shows_all_twenty_names_whole() -> None:
    lines = _piped("dictionary", "list").splitlines()
    names = [line.split("\t")[1] for line in lines[1:]]
    assert names == list(load_dictionary().names)
    assert "…" not in "".join(lines)


def test_dictionary_show_through_a_pipe_keeps_every_field_and_names_the_code_map() -> None:
    rows = [line.split("\t") for line in _piped("dictionary", "show", "emr_patient_info").splitlines()]
    assert rows[0][0] == "field" and rows[0][-1] == "code map"
    fields = {row[0]: row for row in rows[1:]}
    assert set(fields) == {f.name for f in load_dictionary().table("emr_patient_info").fields}
    assert fields["id_card_type_code"][-1] == "codemaps/id_card_type.csv"


def test_dictionary_validate_through_a_pipe_lists_each_violation_on_one_line(tmp_path: Path) -> None:
    """The violations of a file, piped: one TSV line each, field names whole; a value that
    looks like rich markup is printed as it is (it used to end in a MarkupError traceback)."""
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"id": "V1", "operation_time": "[/x]",
                                "birth_date": "[bold]1990"}) + "\n", "utf-8")
    out = _piped("dictionary", "validate", str(data), "-t", "emr_patient_info", "2>&1")
    assert "Traceback" not in out and "MarkupError" not in out
    rows = [line.split("\t") for line in out.splitlines() if line.count("\t") >= 5]
    assert rows[0][:2] == ["line", "field"]
    fields = {row[1]: row for row in rows[1:]}
    assert fields["operation_time"][5] == "[/x]" and "birth_date" in fields


def test_sync_file_prints_a_hostile_key_as_text(config: Path, tmp_path: Path) -> None:
    """A quarantined record's key and value are HIS data: shown as they are (control
    characters never reach the terminal), never read as rich markup (a '[/x]' key ended in a
    traceback)."""
    data = tmp_path / "hostile.jsonl"
    data.write_text(json.dumps({"id": "[/x]\x1b[31m", "operation_time": "[/y]"}) + "\n", "utf-8")
    out = _piped("sync", "file", str(data), "-t", "emr_patient_info", "-c", str(config), "2>&1")
    assert "Traceback" not in out and "MarkupError" not in out
    assert "id=[/x]" in out and "\x1b" not in out


def test_check_through_a_pipe_keeps_every_table_name_whole(config: Path) -> None:
    """``hisbridge check | cat``: the mappings table is TSV, no name cut to fit 80 columns."""
    env = {**os.environ, "PYTHONPATH": str(Path(hisbridge.__file__).resolve().parents[1])}
    env.pop("COLUMNS", None)
    command = f"{sys.executable} -m hisbridge check -c {config} --limit 5 | cat"
    out = subprocess.run(command, shell=True, capture_output=True, text=True, env=env,
                         timeout=180).stdout
    header = "table\trows\tok\trejected\tfiltered\tunmapped\tready"
    lines = out.splitlines()
    assert header in lines, out
    start = lines.index(header) + 1
    names = [line.split("\t")[0] for line in lines[start:start + 20]]
    assert "emr_patient_info" in names and "emr_vital_signs_record" in names
    assert "…" not in "\n".join(lines[start:start + 20])


def test_sync_once_table_is_tsv_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-table result of ``sync once`` survives a pipe (the same listing helper)."""
    import io
    from types import SimpleNamespace

    from rich.console import Console

    from hisbridge.cli import sync

    out = io.StringIO()
    monkeypatch.setattr(sync, "console", Console(file=out))
    printed: list[str] = []
    monkeypatch.setattr(sync.typer, "echo", lambda text="", **_: printed.append(str(text)))
    counts = SimpleNamespace(rows_read=3, accepted=2, unchanged=0, rejected=1, filtered=0, deleted=0,
                             withheld=0)
    report = SimpleNamespace(table="emr_vital_signs_record", counts=counts, error=None,
                             dropped=Counter(), generalised=Counter(), excluded=Counter())
    sync._print_pass([report], idle=True)
    assert printed[0].startswith("table\tread\taccepted")
    assert printed[1].split("\t") == ["emr_vital_signs_record", "3", "2", "0", "1", "0", "0", "0",
                                     "0", ""]
