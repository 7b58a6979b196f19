"""The operations console's own tables: users, sessions, login attempts, actions, alerts.

- ``console_users``: one row per console user, with the role (a closed enum) and the argon2
  hash of the password, never the password itself; and the institutions it is scoped to
  (a hospital group's township-centre operator sees only its own; none: all).
- ``console_sessions``: server-side sessions. The browser holds a random token; the store keeps
  only its SHA-256 (``token_hash``), the CSRF token of the session and both expiry limits, so a
  stolen database does not hand out live sessions and logout really ends a session.
- ``console_login_attempts``: every login attempt (success or not) with the address it came
  from and its outcome; lock-out is decided from the recent failures of a user name from an
  address, of an address, and of a user name (``console.lockout``).
- ``console_actions``: what users did that changes things (replays, resends, user changes,
  exports), with the filter used and the outcome, for the record.
- ``alert_events``: one row per alert (rule + subject) while it fires, with its cool-down
  state: when it was last sent and how many times it was seen since.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from hisbridge.store.schema import ID, TIMESTAMP, metadata

__all__ = [
    "ROLES",
    "alert_events",
    "console_actions",
    "console_login_attempts",
    "console_sessions",
    "console_users",
]

ROLES = ("admin", "operator", "auditor")

_Id = ID
_TS = TIMESTAMP

console_users = Table(
    "console_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("password_changed_at", _TS, nullable=False),
    Column("disabled", Boolean, nullable=False),
    # The institutions (organisation codes, comma-separated) whose data the user sees and acts
    # on; NULL or empty: every institution (hisbridge.ops.scope).
    Column("institutions", Text, nullable=True),
    CheckConstraint("role IN ('admin', 'operator', 'auditor')", name="role"),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("last_seen_at", _TS, nullable=False),
    Column("expires_at", _TS, nullable=False),
    Column("remote", String(64), nullable=True),
)
Index("ix_console_sessions_user_name", console_sessions.c.user_name)

console_login_attempts = Table(
    "console_login_attempts",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("user_name", String(64), nullable=False),
    Column("at", _TS, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("remote", String(64), nullable=True),
    # ok | bad (a checked wrong password) | refused (not checked: locked) | unlock (admin)
    Column("outcome", String(8), nullable=True),
)
Index("ix_console_login_attempts_user_name_at", console_login_attempts.c.user_name,
      console_login_attempts.c.at)
Index("ix_console_login_attempts_remote_at", console_login_attempts.c.remote,
      console_login_attempts.c.at)

console_actions = Table(
    "console_actions",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("at", _TS, nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("remote", String(64), nullable=True),
)
Index("ix_console_actions_at", console_actions.c.at)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("rule", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("first_at", _TS, nullable=False),
    Column("last_at", _TS, nullable=False),
    Column("last_sent_at", _TS, nullable=True),
    Column("seen", Integer, nullable=False),
    Column("resolved_at", _TS, nullable=True),
    CheckConstraint("severity IN ('warning', 'critical')", name="severity"),
)
Index("ix_alert_events_rule_subject_resolved_at", alert_events.c.rule, alert_events.c.subject,
      alert_events.c.resolved_at)
