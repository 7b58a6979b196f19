"""`hisbridge sync file` and `hisbridge outbox status | dead | replay` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hisbridge import _json
from hisbridge.cli import _register, app
from hisbridge.testing import ReceiverState, sample_record, serve_receiver

if not any(group.name == "outbox" for group in app.registered_groups):
    _register()
runner = CliRunner()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[ReceiverState, Path, Path]]:
    state = ReceiverState()
    with serve_receiver(state) as url:
        config = tmp_path / "hisbridge.yaml"
        config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'store.db'}\n"
                          f"frontend:\n  base_url: {url}\n", "utf-8")
        lines = [_json.dumps_str(sample_record("emr_patient_info", f"p{i}", serial=i))
                 for i in range(3)]
        data = tmp_path / "patients.jsonl"
        data.write_text("\n".join([*lines, '{"id": "x"}', "{oops"]) + "\n", "utf-8")
        yield state, config, data


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_sync_deliver_inspect_and_replay(setup: tuple[ReceiverState, Path, Path]) -> None:
    state, config, data = setup
    state.script("p1", "04")
    code, out = run("sync", "file", str(data), "--table", "emr_patient_info", "-c", str(config),
                    "--deliver", "--timeout", "30")
    assert code == 1  # some lines were not accepted: say so in the exit code
    assert "accepted 3" in out and "quarantined 1" in out and "unreadable 1" in out
    assert "第 5 行" in out and "id=x" in out and "delivered" in out
    code, out = run("outbox", "status", "-c", str(config), "--json")
    status = json.loads(out)
    assert code == 0 and status["counts"] == {"emr_patient_info": {"delivered": 2, "dead": 1}}
    assert status["quarantined"] == {"emr_patient_info": 1}
    code, out = run("outbox", "dead", "-c", str(config), "--table", "emrPatientInfo")
    assert code == 0 and "p1" in out and "数据校验错误" in out
    code, out = run("outbox", "replay", "-c", str(config), "--table", "emr_patient_info",
                    "--error-code", "04", "--dry-run")
    assert code == 0 and "matched 1" in out and "to replay 1" in out
    code, out = run("outbox", "replay", "-c", str(config), "--table", "emr_patient_info",
                    "--since", "2020-01-01", "--yes")
    assert code == 0 and "replayed 1" in out
    code, out = run("outbox", "status", "-c", str(config), "--json")
    assert json.loads(out)["counts"]["emr_patient_info"] == {"delivered": 2, "pending": 1}


def test_bad_arguments_are_one_clear_line(setup: tuple[ReceiverState, Path, Path]) -> None:
    _, config, data = setup
    code, out = run("outbox", "dead", "-c", str(config), "--table", "emr_nope")
    assert code != 0 and "Traceback" not in out
    code, out = run("outbox", "replay", "-c", str(config), "--table", "emr_patient_info",
                    "--since", "last tuesday")
    assert code != 0 and "Traceback" not in out
    code, out = run("sync", "file", str(data), "--table", "base_dept", "-c", str(config),
                    "--op", "delete")
    assert code != 0 and "Traceback" not in out


def test_dead_letters_show_no_personal_data_the_receiver_echoed(tmp_path: Path) -> None:
    """The front-end's refusal may quote the record (an ID number, a phone): `outbox dead`
    masks them in the table and in --json, as the console does."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from hisbridge.testing import serve_app

    id_number, phone = "440106198810168414", "13912345678"

    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"result": False, "errorCode": "04", "errorName": "数据校验错误",
                             "desc": f"身份证件号 {id_number} 校验失败，联系电话 {phone}"})

    receiver = Starlette(routes=[Route("/{path:path}", refuse, methods=["POST"])])
    with serve_app(receiver) as url:
        config = tmp_path / "hisbridge.yaml"
        config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'store.db'}\n"
                          f"frontend:\n  base_url: {url}\n", "utf-8")
        data = tmp_path / "p.jsonl"
        data.write_text(_json.dumps_str(sample_record("emr_patient_info", "p1")) + "\n", "utf-8")
        code, out = run("sync", "file", str(data), "--table", "emr_patient_info", "-c",
                        str(config), "--deliver", "--timeout", "30")
        assert "accepted 1" in out, out
    for extra in ((), ("--json",)):
        code, out = run("outbox", "dead", "-c", str(config), *extra)
        assert code == 0 and "p1" in out, out
        assert id_number not in out and phone not in out, out
