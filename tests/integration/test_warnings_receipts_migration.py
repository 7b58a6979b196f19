"""Upgrading a store with stored warnings to per-doctor state keeps every message, and a warning
read before the upgrade stays read for its addressee (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from hisbridge._clock import CHINA_TZ
from hisbridge.store.migrate import alembic_config, applied, current_heads, pending, upgrade
from hisbridge.store.schema.warnings import warning_messages, warning_receipts

pytestmark = pytest.mark.services
BEFORE = ("outbox@head", "sources@head", "audit@head", "consent@head", "console@head",
          "messages_0001")
READ_AT = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)

# (msg_id, addressee, department, read_by): read_by None = unread before the upgrade.
OLD = [("TO-D2-READ", "D2", "A03", "D2"),
       ("TO-D2-READ-BY-D1", "D2", "A03", "D1"),  # the shared state let a colleague dismiss it
       ("TO-D2-UNREAD", "D2", "A03", None),
       ("DEPT-READ", None, "A03", "D1"),
       ("DEPT-UNREAD", None, "A03", None)]


def _old_rows(engine: Engine) -> None:
    """As the China-time code wrote them: SQLite kept Beijing wall time as text."""
    at: object = READ_AT
    if engine.dialect.name == "sqlite":
        at = READ_AT.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = text("INSERT INTO messages (msg_id, seq, type, level, title, content, dept_code,"
               " user_id, polled_at, read_at, read_by, raw) VALUES (:id, :seq, 'missed_report',"
               " '高', '疑似漏报', '…', :dept, :user, :polled, :read_at, :read_by, '{}')")
    with engine.begin() as conn:
        for seq, (msg_id, user, dept, read_by) in enumerate(OLD, start=1):
            conn.execute(sql, {"id": msg_id, "seq": seq, "dept": dept, "user": user,
                               "polled": at, "read_by": read_by,
                               "read_at": at if read_by else None})


def test_read_state_moves_to_the_addressee(unmigrated_engine: Engine) -> None:
    engine = unmigrated_engine
    cfg = alembic_config(engine)
    for target in BEFORE:
        command.upgrade(cfg, target)
    assert "messages_0001" in current_heads(engine) and pending(engine)
    _old_rows(engine)
    upgrade(engine)
    assert not pending(engine) and "messages_0002_h17a" in applied(engine)
    with engine.connect() as conn:
        kept = list(conn.scalars(select(warning_messages.c.msg_id).order_by(warning_messages.c.seq)))
        receipts = {(r.msg_id, r.user_id): (r.read_by, r.read_at, r.handled_at)
                    for r in conn.execute(select(warning_receipts))}
    assert kept == [m[0] for m in OLD]
    assert set(receipts) == {("TO-D2-READ", "D2"), ("TO-D2-READ-BY-D1", "D2"),
                             ("DEPT-READ", "D1")}
    assert receipts[("TO-D2-READ-BY-D1", "D2")][0] == "D1"  # who did it is kept
    for read_by, read_at, handled_at in receipts.values():
        assert read_by and handled_at is None
        assert read_at is not None and read_at.replace(tzinfo=read_at.tzinfo or UTC) == READ_AT
