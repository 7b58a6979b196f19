"""The console's action log: who replayed, resent, exported or changed what, and the result."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select

from hisbridge import _json
from hisbridge.store.schema.console import console_actions
from hisbridge.store.times import from_store, to_store

__all__ = ["Action", "list_actions", "record_action"]


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    at: datetime
    user_name: str
    role: str
    action: str
    target: str
    outcome: str
    remote: str | None


def record_action(engine: Engine, *, at: datetime, user_name: str, role: str, action: str,
                  target: object, outcome: object, remote: str | None = None) -> None:
    """Write one action; ``target`` and ``outcome`` are stored as JSON text."""
    with engine.begin() as conn:
        conn.execute(insert(console_actions).values(
            at=to_store(at), user_name=user_name, role=role, action=action[:64],
            target=_json.dumps_str(target), outcome=_json.dumps_str(outcome),
            remote=(remote or "")[:64]))


def list_actions(engine: Engine, *, action: str | None = None, user_name: str | None = None,
                 limit: int = 200, user_names: Collection[str] | None = None) -> list[Action]:
    """Newest first, optionally for one action kind or one user (or some: ``user_names``)."""
    a = console_actions.c
    query = select(console_actions).order_by(a.id.desc()).limit(limit)
    if user_names is not None:
        query = query.where(a.user_name.in_(sorted(user_names)))
    if action:
        query = query.where(a.action == action)
    if user_name:
        query = query.where(a.user_name == user_name)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [Action(r.id, from_store(r.at), r.user_name, r.role, r.action, r.target,  # type: ignore[arg-type]
                   r.outcome, r.remote) for r in rows]
