"""What the simulator must remember across a restart besides records and messages.

Two tables in the simulator's own store, created with the others by ``create_all`` (a table
missing from an older database file is added at start; no existing table changes, so an old
file opens with all its rows):

- ``sim_secret_key``: every issued key, its expiry and its consumer cursor (the last message
  seq handed out under it);
- ``sim_waiting_visit``: every notifiable visit still waiting for its report card, with the
  instant its 漏报 comes due.

The running simulator keeps both in memory (key checks never touch the database) and writes
through here. Keys and cursors are committed at once (rare, and a cursor must not move back
after a crash); waiting visits ride in the same batch as the visit that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from hisbridge import _json

if TYPE_CHECKING:
    from hisbridge.simulators.frontend.store import SimStore

__all__ = ["DurableState", "SavedKey", "SavedVisit", "durable_tables"]

_KEY_COLUMNS = ("secret_key", "license", "issued_at", "expires_at", "consumed")
_VISIT_COLUMNS = ("activity_id", "activity", "code", "disease", "due")


def durable_tables(metadata: MetaData) -> None:
    """Declare ``sim_secret_key`` and ``sim_waiting_visit`` on ``metadata``."""
    Table(
        "sim_secret_key", metadata,
        Column("secret_key", String(64), primary_key=True),
        Column("license", Text, nullable=False),
        Column("issued_at", String(40), nullable=False),
        Column("expires_at", String(40), nullable=False),
        Column("consumed", Integer, nullable=False),
        comment="已签发的密钥及其消费游标 / issued secret keys and their consumer cursors",
    )
    Table(
        "sim_waiting_visit", metadata,
        Column("activity_id", Text, primary_key=True),
        Column("activity", Text, nullable=False),
        Column("code", Text, nullable=False),
        Column("disease", Text, nullable=False),
        Column("due", String(40), nullable=False),
        comment="等待报告卡的传染病就诊（漏报计时）/ visits waiting for their report card",
    )


@dataclass(frozen=True, slots=True)
class SavedKey:
    """A key as stored."""

    key: str
    license: str
    issued_at: datetime
    expires_at: datetime
    consumed: int


@dataclass(frozen=True, slots=True)
class SavedVisit:
    """A waiting visit as stored."""

    activity_id: str
    activity: dict[str, Any]
    code: str
    disease: str
    due: datetime


class DurableState:
    """Reads and writes the two tables through the simulator's open store connection."""

    def __init__(self, store: SimStore) -> None:
        self.store = store
        ph = store.ph
        self._insert_key = _insert("sim_secret_key", _KEY_COLUMNS, ph)
        self._upsert_visit = _insert("sim_waiting_visit", _VISIT_COLUMNS, ph) + (
            " ON CONFLICT (activity_id) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _VISIT_COLUMNS[1:]))

    # -- secret keys ------------------------------------------------------------------------

    def keys(self) -> list[SavedKey]:
        """Every stored key."""
        rows = self.store.query("SELECT * FROM sim_secret_key")
        return [SavedKey(r["secret_key"], r["license"], datetime.fromisoformat(r["issued_at"]),
                         datetime.fromisoformat(r["expires_at"]), int(r["consumed"]))
                for r in rows]

    def save_key(self, key: SavedKey) -> None:
        """Store a newly issued key (committed at once)."""
        row = (key.key, key.license, key.issued_at.isoformat(), key.expires_at.isoformat(),
               key.consumed)
        self.store.write(self._insert_key, row, commit=True)

    def save_cursor(self, key: str, consumed: int) -> None:
        """Move a key's consumer cursor (committed at once: it must never move back)."""
        ph = self.store.ph
        sql = f"UPDATE sim_secret_key SET consumed = {ph} WHERE secret_key = {ph}"
        self.store.write(sql, (consumed, key), commit=True)

    def forget_key(self, key: str) -> None:
        """Remove an expired key."""
        self.store.write(f"DELETE FROM sim_secret_key WHERE secret_key = {self.store.ph}", (key,))

    # -- waiting visits ---------------------------------------------------------------------

    def visits(self) -> list[SavedVisit]:
        """Every stored waiting visit."""
        rows = self.store.query("SELECT * FROM sim_waiting_visit")
        return [SavedVisit(r["activity_id"], _json.loads(r["activity"]), r["code"], r["disease"],
                           datetime.fromisoformat(r["due"])) for r in rows]

    def save_visit(self, visit: SavedVisit) -> None:
        """Insert or replace a waiting visit (in the store's current batch)."""
        row = (visit.activity_id, _json.dumps(visit.activity).decode("utf-8"),
               visit.code, visit.disease, visit.due.isoformat())
        self.store.write(self._upsert_visit, row)

    def forget_visit(self, activity_id: str) -> None:
        """Remove a visit that fired or got its card."""
        sql = f"DELETE FROM sim_waiting_visit WHERE activity_id = {self.store.ph}"
        self.store.write(sql, (activity_id,))


def _insert(table: str, columns: tuple[str, ...], ph: str) -> str:
    marks = ", ".join([ph] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

