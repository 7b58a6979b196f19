"""Retention of rows that only age out, and of what it never touches (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, insert, select

from hisbridge.audit.log import AuditLog
from hisbridge.settings import RetentionSettings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.retention import prune
from hisbridge.store.schema.audit import audit_log
from hisbridge.store.schema.consent import gd_consent
from hisbridge.store.schema.console import (
    alert_events,
    console_actions,
    console_login_attempts,
    console_sessions,
)
from hisbridge.store.schema.outbox import quarantine
from hisbridge.store.schema.sources import source_rejects, source_runs, source_seen_keys
from hisbridge.store.schema.warnings import (
    frontend_secret_keys,
    warning_messages,
    warning_webhook_deliveries,
)
from hisbridge.store.times import to_store
from hisbridge.testing import ManualClock

pytestmark = pytest.mark.services
NOW = ManualClock().now()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def ago(days: float) -> datetime:
    return to_store(NOW - timedelta(days=days))


def put(engine: Engine, table: Table, *rows: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(table), list(rows))


def ids(engine: Engine, table: Table, column: str = "id") -> list[Any]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(table.c[column])).scalars())


def _run(source: str, table: str, started: datetime, status: str = "ok") -> dict[str, Any]:
    return {"source": source, "table_name": table, "started_at": started, "status": status,
            **dict.fromkeys(("rows_read", "accepted", "unchanged", "rejected", "filtered",
                             "deleted", "unmapped"), 0)}


def test_source_runs_age_out_but_each_tables_newest_run_stays(engine: Engine) -> None:
    put(engine, source_runs, _run("his", "a", ago(60)), _run("his", "a", ago(50)),
        _run("his", "b", ago(60)), _run("his", "a", ago(40), "running"),
        _run("his", "a", ago(1)))
    done = prune(engine, RetentionSettings(), NOW)
    assert done.counts["source_runs"] == 2
    assert ids(engine, source_runs) == [3, 4, 5]  # b's only run, a crashed run, a's newest


def test_aging_tables_keep_what_is_recent_or_still_open(engine: Engine) -> None:
    put(engine, quarantine, *({"table_name": "t", "op": "upsert", "payload": "{}",
                               "violations": "[]", "source": "s", "received_at": ago(d)}
                              for d in (400, 10)))
    put(engine, source_rejects, *({"source": "s", "table_name": "t", "stage": "mapping",
                                   "violations": "[]", "created_at": ago(d)} for d in (100, 10)))
    day = NOW.date()
    put(engine, source_seen_keys, *({"source": "s", "table_name": "t", "record_key": "k",
                                     "day": (day - timedelta(days=d)).isoformat()}
                                    for d in (30, 7, 6, 1, 0)))
    put(engine, console_sessions, *({"token_hash": f"h{d}", "user_name": "u", "csrf_token": "c",
                                     "created_at": ago(d + 1), "last_seen_at": ago(d),
                                     "expires_at": ago(d)} for d in (30, 1)))
    put(engine, console_login_attempts, *({"user_name": "u", "at": ago(d), "ok": False}
                                          for d in (100, 1)))
    put(engine, console_actions, {"at": ago(3000), "user_name": "u", "role": "admin",
                                  "action": "replay", "target": "t", "outcome": "ok"})
    put(engine, alert_events, *({"rule": "r", "subject": f"s{d}", "severity": "warning",
                                 "message": "m", "message_en": "m", "first_at": ago(d),
                                 "last_at": ago(d), "seen": 1, "resolved_at": r}
                                for d, r in ((200, ago(150)), (200, None), (5, ago(1)))))
    done = prune(engine, RetentionSettings(), NOW)
    assert ids(engine, quarantine) == [2] and ids(engine, source_rejects) == [2]
    assert len(ids(engine, source_seen_keys, "day")) == 3  # today and the 6 days before
    assert ids(engine, console_sessions, "token_hash") == ["h1"]
    assert ids(engine, console_login_attempts) == [2]
    assert ids(engine, console_actions) == [1]  # who did what: kept unless told otherwise
    assert ids(engine, alert_events) == [2, 3]  # the firing one stays whatever its age
    assert done.total == 7


def test_never_touched_audit_consents_messages_and_keys(engine: Engine) -> None:
    AuditLog(engine, clock=ManualClock(NOW - timedelta(days=5000))).append("view", "doctor")
    put(engine, gd_consent, {"id": "c1", "his_patient_id": "p", "patient_masked": "张*",
                             "encounter_type": "outpatient", "encounter_id": "e",
                             "channel": "sms", "status": "CLOSED", "created_at": ago(5000),
                             "updated_at": ago(5000)})
    put(engine, warning_messages, *({"msg_id": f"m{i}", "seq": i, "type": "t", "level": "l",
                             "title": "t", "content": "c", "polled_at": ago(5000), "raw": "{}"}
                            for i in range(3)))
    put(engine, warning_webhook_deliveries, *(
        {"msg_id": f"m{i}", "state": state, "attempts": 1, "created_at": ago(5000),
         "next_attempt_at": ago(5000), "finished_at": ago(5000) if state != "pending" else None}
        for i, state in enumerate(("delivered", "pending", "dead"))))
    put(engine, frontend_secret_keys, {"purpose": "api", "sealed": "x", "obtained_at": 0.0,
                                       "expires_at": 0.0})
    forever = RetentionSettings(**{n: 1 for n in RetentionSettings.model_fields
                                   if n.endswith("_days") and n != "seen_keys_days"})
    done = prune(engine, forever, NOW)
    assert done.counts["warning_webhook_deliveries"] == 1
    with engine.connect() as conn:
        counted = [conn.execute(select(func.count()).select_from(t)).scalar()
                   for t in (audit_log, gd_consent, warning_messages, frontend_secret_keys,
                             warning_webhook_deliveries)]
    assert counted == [1, 1, 3, 1, 2]
    assert AuditLog(engine).verify()[1] is None
