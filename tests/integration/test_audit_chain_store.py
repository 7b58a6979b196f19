"""The audit log on SQLite and PostgreSQL: ``hisbridge audit verify`` passes on an untouched
log and fails, naming the entry, after a row is altered, deleted or reordered in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text, update
from typer.testing import CliRunner

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.audit.log import AuditLog, AuditRecorder
from hisbridge.cli import _register, app
from hisbridge.sharing.consent.model import Operator
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.audit import audit_log

DOCTOR = Operator("D0001", "张医生", "DOCTOR", "0301", client_addr="10.0.0.8")


_ENGINES: list[Engine] = []


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    yield url
    while _ENGINES:
        _ENGINES.pop().dispose()


def _filled(url: str, clock: ManualClock, count: int = 6) -> AuditLog:
    engine = make_engine(url)
    _ENGINES.append(engine)
    upgrade(engine)
    log = AuditLog(engine, clock=clock)
    recorder = AuditRecorder(log, key_secret="k")
    for n in range(count):
        recorder.record(
            "RECORD_VIEW",
            DOCTOR,
            patient_masked="张*",
            consent_id=f"C{n}",
            patient_key=recorder.key("P1"),
            category="LAB",
            doc_id=f"DOC-{n}",
            detail={"n": n},
        )
        clock.advance(minutes=1)
    return log


def _cli_verify(tmp_path: Path, url: str) -> tuple[int, str]:
    config = tmp_path / "hisbridge.yaml"
    config.write_text(f"store:\n  url: {url}\n", "utf-8")
    _register()
    result = CliRunner().invoke(app, ["audit", "verify", "-c", str(config)])
    return result.exit_code, result.output


def test_untouched_log_verifies(store_url: str, tmp_path: Path) -> None:
    log = _filled(store_url, ManualClock())
    assert log.verify() == (6, None)
    code, output = _cli_verify(tmp_path, store_url)
    assert code == 0 and "6" in output


def test_altered_row_is_named(store_url: str, tmp_path: Path) -> None:
    log = _filled(store_url, ManualClock())
    with log.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 4).values(doc_id="DOC-X"))
    _checked, broken = log.verify()
    assert broken is not None and (broken.seq, broken.reason) == (4, "altered")
    code, output = _cli_verify(tmp_path, store_url)
    assert code == 1 and "seq=4" in output


def test_deleted_row_is_named(store_url: str, tmp_path: Path) -> None:
    log = _filled(store_url, ManualClock())
    with log.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 3))
    _, broken = log.verify()
    assert broken is not None and (broken.seq, broken.reason) == (4, "missing")
    code, output = _cli_verify(tmp_path, store_url)
    assert code == 1 and "seq=4" in output


def test_rehashed_row_still_breaks_the_link(store_url: str) -> None:
    """Someone who recomputes an altered row's own hash still breaks the next row's link."""
    from dataclasses import replace

    from hisbridge.audit.chain import entry_hash

    log = _filled(store_url, ManualClock())
    entry = next(e for e in log.entries() if e.seq == 2)
    forged = replace(entry, actor_id="D9999")
    new_hash = entry_hash(forged, forged.prev_hash)
    with log.engine.begin() as conn:
        conn.execute(
            update(audit_log).where(audit_log.c.seq == 2).values(actor_id="D9999", hash=new_hash)
        )
    _, broken = log.verify()
    assert broken is not None and (broken.seq, broken.reason) == (3, "relinked")


def test_swapped_rows_are_detected(store_url: str) -> None:
    log = _filled(store_url, ManualClock())
    with log.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET seq = 100 WHERE seq = 2"))
        conn.execute(text("UPDATE audit_log SET seq = 2 WHERE seq = 3"))
        conn.execute(text("UPDATE audit_log SET seq = 3 WHERE seq = 100"))
    _, broken = log.verify()
    assert broken is not None and broken.seq == 2


def test_retention_prunes_and_chain_still_verifies(store_url: str) -> None:
    clock = ManualClock(datetime(2026, 1, 1, 8, 0, tzinfo=CHINA_TZ))
    log = _filled(store_url, clock, count=4)
    clock.advance(days=400)
    AuditRecorder(log, key_secret="k").record("RECORD_INDEX", DOCTOR)
    assert log.prune(retention_days=365) == 4
    checked, broken = log.verify()
    assert broken is None and checked == 2  # the new entry + the prune marker
    with log.engine.begin() as conn:  # deleting the oldest survivor is still caught
        conn.execute(delete(audit_log).where(audit_log.c.seq == 5))
    assert log.verify()[1] is not None
