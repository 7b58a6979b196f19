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
