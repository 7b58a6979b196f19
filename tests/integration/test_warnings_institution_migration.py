"""Upgrading a store with stored warnings to per-institution warnings (messages_0004_h21w) keeps
every row, its receipts and the cached key; each row's institution is the org code it carried,
or NULL (the single institution) when it carried none (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, insert, select, text

from hisbridge.store.migrate import alembic_config, applied, pending, upgrade
from hisbridge.store.schema.warnings import frontend_secret_keys, warning_messages, warning_receipts

pytestmark = pytest.mark.services
AT = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
OLD = [("M1", 1, "440100001"), ("M2", 2, None), ("M3", 3, "")]  # (msg_id, seq, org_code)


def _old_rows(engine: Engine) -> None:
    """As the code before the upgrade wrote them (no institution column)."""
    message = text("INSERT INTO warning_messages (msg_id, seq, type, level, title, content,"
                   " org_code, user_id, polled_at, raw) VALUES (:id, :seq, 'missed_report', '高',"
                   " '疑似漏报', '…', :org, 'D1', :at, '{}')")
    with engine.begin() as conn:
        for msg_id, seq, org in OLD:
            conn.execute(message, {"id": msg_id, "seq": seq, "org": org, "at": AT})
        conn.execute(text("INSERT INTO warning_receipts (msg_id, user_id, read_at, read_by)"
                          " VALUES ('M2', 'D1', :at, 'D1')"), {"at": AT})
        conn.execute(text("INSERT INTO frontend_secret_keys (purpose, sealed, obtained_at,"
                          " expires_at) VALUES ('message', 'sealed', 1.0, 2.0)"))


def test_stored_warnings_are_kept_and_take_their_own_org_code(unmigrated_engine: Engine) -> None:
    engine = unmigrated_engine
    cfg = alembic_config(engine)
    command.upgrade(cfg, "heads")
    command.downgrade(cfg, "messages_0003_h18a")  # the store as the gateway left it before
    assert "messages_0004_h21w" not in applied(engine)
    _old_rows(engine)
    assert pending(engine)
    upgrade(engine)
    assert not pending(engine) and "messages_0004_h21w" in applied(engine)
    m = warning_messages.c
    with engine.begin() as conn:
        kept = conn.execute(select(m.msg_id, m.institution).order_by(m.seq)).all()
        receipts = conn.execute(select(warning_receipts.c.msg_id, warning_receipts.c.read_by)).all()
        purposes = list(conn.scalars(select(frontend_secret_keys.c.purpose)))
        # seq is unique per institution now: another institution's front-end starts at 1 too
        conn.execute(insert(warning_messages).values(
            msg_id="T01-1", seq=1, type="missed_report", level="高", title="t", content="c",
            polled_at=AT, raw="{}", institution="T01"))
        conn.execute(insert(frontend_secret_keys).values(
            purpose="message:" + "9" * 50, sealed="s", obtained_at=1.0, expires_at=2.0))
    assert [tuple(r) for r in kept] == [("M1", "440100001"), ("M2", None), ("M3", None)]
    assert [tuple(r) for r in receipts] == [("M2", "D1")] and purposes == ["message"]
