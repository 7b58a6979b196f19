from __future__ import annotations

import logging

import pytest
import structlog

from hisbridge.logs import configure_logging, get_logger


@pytest.fixture(autouse=True)
def _restore_root_logger() -> object:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers[:], root.level = saved[0], saved[1]
    structlog.reset_defaults()


def test_structlog_events_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    get_logger("t").info("intake", note="caller 13812345678 id 440106199001011234", count=3)
    err = capsys.readouterr().err
    assert "13812345678" not in err and "440106199001011234" not in err
    assert "138****5678" in err and "count=3" in err


def test_stdlib_records_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("third.party").warning("bad row %s", "440106199001011234")
    err = capsys.readouterr().err
    assert "440106199001011234" not in err and "440***********1234" in err


def test_stdlib_extras_are_shown_and_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    """An operator must see why (the ``extra=`` fields), with personal data still masked."""
    configure_logging("INFO")
    logging.getLogger("hisbridge.warnings").warning(
        "message poll failed", extra={"kind": "Transient", "failures": 3,
                                      "reason": "patient 440106199001011234 not found"})
    err = capsys.readouterr().err
    assert "message poll failed" in err and "kind=Transient" in err and "failures=3" in err
    assert "[warning" in err and "hisbridge.warnings" in err
    assert "440106199001011234" not in err and "440***********1234" in err


def test_stdlib_records_as_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    configure_logging("INFO", json=True)
    logging.getLogger("hisbridge.web").warning("store unavailable",
                                               extra={"kind": "OperationalError", "n": 2})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    assert event["event"] == "store unavailable" and event["level"] == "warning"
    assert event["kind"] == "OperationalError" and event["n"] == 2
    assert event["timestamp"].endswith("+00:00")
