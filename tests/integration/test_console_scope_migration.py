"""Upgrading a store with console users to institution scopes (console_0003_h21c) keeps every
user, password and session, each unscoped: existing users keep seeing every institution
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, text

from hisbridge.ops.sessions import SessionStore
from hisbridge.ops.settings import Argon2Settings
from hisbridge.ops.users import UserStore
from hisbridge.store.migrate import alembic_config, applied, pending, upgrade
from hisbridge.testing.console import FAST_ARGON2

pytestmark = pytest.mark.services
AT = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)


def _old_user(engine: Engine, name: str, password_hash: str) -> None:
    """As the code before the upgrade wrote it (no institutions column)."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO console_users (name, role, password_hash, created_at,"
                          " password_changed_at, disabled) VALUES (:n, 'operator', :h, :at, :at,"
                          " :off)"), {"n": name, "h": password_hash, "at": AT, "off": False})


def test_existing_users_stay_unscoped(unmigrated_engine: Engine) -> None:
    engine = unmigrated_engine
    cfg = alembic_config(engine)
    command.upgrade(cfg, "heads")
    users = UserStore(engine, argon2=Argon2Settings(**FAST_ARGON2))
    hashed = users.passwords.hash("old-operator-pass-2026")
    command.downgrade(cfg, "console_0002_h14b")  # the store as the gateway left it before
    assert "console_0003_h21c" not in applied(engine)
    _old_user(engine, "operator1", hashed)
    _old_user(engine, "operator2", hashed)
    assert pending(engine)
    upgrade(engine)
    assert not pending(engine) and "console_0003_h21c" in applied(engine)
    kept = users.all()
    assert [(u.name, u.institutions) for u in kept] == [("operator1", ()), ("operator2", ())]
    assert users.authenticate("operator1", "old-operator-pass-2026").status == "ok"
    token = SessionStore(engine).create("operator1")
    principal = SessionStore(engine).lookup(token)
    assert principal is not None and principal.institutions == ()
    users.set_institutions("operator2", ["T01", "T02"])
    assert users.get("operator2").institutions == ("T01", "T02")  # type: ignore[union-attr]
