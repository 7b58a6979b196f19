"""The message store: polled warnings kept idempotently by ``msg_id`` in ``seq`` order.

``save_page`` writes a page, the new cursor and the webhook queue in one transaction fenced by
the poller lease. A message already stored is skipped (idempotent); one whose ``seq`` is not
above the last stored ``seq`` is refused as out of order (counted and logged, never stored),
so the stored order is always the front-end's order.

In a hospital group each institution has its own store view (``institution``, ``scoped``): it
stamps the rows it stores with the institution's organisation code and reads only those, with
``seq`` (the order of that institution's front-end) compared within the institution. A single
hospital's store is not scoped: it stamps its org code and reads every row, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, literal, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from hisbridge import _json
from hisbridge._clock import CHINA_TZ, Clock
from hisbridge.connectors.frontend.warnings import FrontendMessage, MessagePage
from hisbridge.store.schema.warnings import warning_messages as messages_table
from hisbridge.store.schema.warnings import warning_poll_state as state_table
from hisbridge.store.schema.warnings import warning_receipts as receipts_table
from hisbridge.store.webhooks import enqueue
from hisbridge.warnings.addressee import plan_change
from hisbridge.warnings.lease import PollerLease
from hisbridge.warnings.receipts import apply_change, doctor_names

__all__ = ["MessageStore", "PollState", "SaveResult", "public_message"]

log = logging.getLogger("hisbridge.warnings.store")

_COLUMNS = ("msg_id", "seq", "type", "level", "title", "content", "patient_id",
            "serial_number", "org_code", "dept_code", "user_id", "create_time")


@dataclass(frozen=True, slots=True)
class PollState:
    cursor: str | None
    last_seq: int
    last_ok_at: datetime | None
    failures: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What ``save_page`` did: the messages stored, re-sent ones skipped, late ones refused."""

    stored: list[FrontendMessage]
    duplicates: int
    out_of_order: int


def _aware(value: datetime | None) -> datetime | None:
    """A stored (UTC) time in China time, as the widget and the message API show it."""
    return value.astimezone(CHINA_TZ) if value is not None else None


def _when(value: datetime | None) -> str | None:
    aware = _aware(value)
    return aware.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if aware else None


def public_message(row: Any, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A stored message as the JSON API, the stream and the webhook show it.

    ``row`` may carry the owner's receipt (``read_at``, ``read_by``, ``handled_at``,
    ``handled_by``); without one the message is unread. ``names`` masks doctors' names.
    ``institution``: the org code of the institution whose poller stored it.
    """
    names = names or {}
    receipt = {k: getattr(row, k, None) for k in ("read_at", "read_by", "handled_at", "handled_by")}
    return {
        "id": row.msg_id, "seq": row.seq, "type": row.type, "level": row.level,
        "title": row.title, "content": row.content, "patientId": row.patient_id,
        "serialNumber": row.serial_number, "orgCode": row.org_code, "deptCode": row.dept_code,
        "institution": getattr(row, "institution", None),
        "userId": row.user_id, "addresseeName": names.get(row.user_id or ""),
        "createTime": row.create_time,
        "read": receipt["read_at"] is not None, "readAt": _when(receipt["read_at"]),
        "readBy": receipt["read_by"], "readByName": names.get(receipt["read_by"] or ""),
        "handled": receipt["handled_at"] is not None, "handledAt": _when(receipt["handled_at"]),
        "handledBy": receipt["handled_by"],
        "handledByName": names.get(receipt["handled_by"] or ""),
    }


def audience(user_id: str | None, dept_code: str | None) -> ColumnElement[bool]:
    """Messages for the doctor ``user_id`` or, when given, for the department ``dept_code``."""
    m = messages_table.c
    clauses = [m.user_id == user_id] if user_id else []
    if dept_code:
        clauses.append(m.dept_code == dept_code)
    return or_(*clauses) if clauses else m.msg_id.is_(None)


class MessageStore:
    """Read and write the message tables of one store."""

    def __init__(self, engine: Engine, clock: Clock, *, name: str = "frontend-messages",
                 institution: str | None = None, scoped: bool = False) -> None:
        self._engine = engine
        self._clock = clock
        self.name = name  # of the poll state (and the poller lease)
        self.institution = institution  # stamped on every row stored
        self.scoped = scoped  # reads only the institution's rows (a hospital group)
        self._scope: ColumnElement[bool] = (
            messages_table.c.institution == institution if scoped else true())
        self.webhook_enabled = False

    def _visible(self, user_id: str | None, dept_code: str | None) -> ColumnElement[bool]:
        return and_(self._scope, audience(user_id, dept_code))

    def save_page(self, page: MessagePage, lease: PollerLease) -> SaveResult:
        """Store the new messages of ``page`` and its cursor, fenced by ``lease``."""
        with self._engine.begin() as conn:
            lease.fence(conn)
            last_seq = self._state(conn).last_seq
            result = self._insert_new(conn, page.messages, last_seq)
            new_last = result.stored[-1].seq if result.stored else last_seq
            self._write_state(conn, cursor=page.next_cursor, last_seq=new_last, ok=True)
        return result

    def _insert_new(
        self, conn: Connection, page: Sequence[FrontendMessage], last_seq: int
    ) -> SaveResult:
        existing = self._existing(conn, {m.msg_id for m in page})
        stored: list[FrontendMessage] = []
        late = 0
        for message in page:
            if message.msg_id in existing:
                continue
            if message.seq <= last_seq:
                late += 1
                log.warning("out-of-order message refused",
                            extra={"msg_id": message.msg_id, "seq": message.seq, "last": last_seq})
                continue
            conn.execute(insert(messages_table).values(**self._row(message)))
            if self.webhook_enabled:
                enqueue(conn, message.msg_id, self._clock.now())
            stored.append(message)
            existing.add(message.msg_id)
            last_seq = message.seq
        return SaveResult(stored, len(page) - len(stored) - late, late)

    def _existing(self, conn: Connection, known: set[str]) -> set[str]:
        """The ids of ``known`` already stored; one another institution stored is reported,
        since ``msg_id`` is unique across the group (its front-ends' ids must not collide)."""
        if not known:
            return set()
        m = messages_table.c
        rows = conn.execute(select(m.msg_id, m.institution).where(m.msg_id.in_(known))).all()
        for row in rows:
            if self.scoped and row.institution != self.institution:
                log.error("msg_id already stored for another institution; not stored",
                          extra={"msg_id": row.msg_id, "institution": self.institution,
                                 "stored_for": row.institution})
        return {row.msg_id for row in rows}

    def _row(self, message: FrontendMessage) -> dict[str, Any]:
        row = {name: getattr(message, name) for name in _COLUMNS}
        row["polled_at"] = self._clock.now()
        row["raw"] = _json.dumps_str(dict(message.raw))
        row["institution"] = self.institution
        return row

    def record_failure(self, error: str) -> None:
        """Remember a failed poll (the widget shows that warnings may be delayed)."""
        with self._engine.begin() as conn:
            self._write_state(conn, ok=False, error=error[:2000])

    def poll_state(self) -> PollState:
        with self._engine.connect() as conn:
            return self._state(conn)

    def _state(self, conn: Connection) -> PollState:
        row = conn.execute(select(state_table).where(state_table.c.name == self.name)).first()
        if row is None:
            return PollState(None, 0, None, 0, None)
        return PollState(row.cursor, row.last_seq, _aware(row.last_ok_at), row.failures,
                         row.last_error)

    def _write_state(self, conn: Connection, *, ok: bool, cursor: str | None = None,
                     last_seq: int | None = None, error: str | None = None) -> None:
        now = self._clock.now()
        old = self._state(conn)
        values: dict[str, Any] = {"last_attempt_at": now}
        if ok:
            values |= {"cursor": cursor if cursor is not None else old.cursor,
                       "last_seq": last_seq if last_seq is not None else old.last_seq,
                       "last_ok_at": now, "failures": 0, "last_error": None}
        else:
            values |= {"failures": old.failures + 1, "last_error": error}
        where = state_table.c.name == self.name
        if conn.execute(update(state_table).where(where).values(**values)).rowcount == 0:
            base = {"name": self.name, "cursor": None, "last_seq": 0, "failures": 0}
            conn.execute(insert(state_table).values(**(base | values)))

    def find(self, *, user_id: str, dept_code: str | None, unread: bool = False,
             since_seq: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        """Messages for a doctor/department after ``since_seq``, oldest first, each with its
        owner's state (the addressee's; the reader's own for department-wide messages)."""
        m, r = messages_table.c, receipts_table.c
        owner = func.coalesce(m.user_id, literal(user_id))
        joined = messages_table.outerjoin(
            receipts_table, and_(r.msg_id == m.msg_id, r.user_id == owner))
        query = (select(messages_table, r.read_at, r.read_by, r.handled_at, r.handled_by)
                 .select_from(joined).where(self._visible(user_id, dept_code), m.seq > since_seq))
        if unread:
            query = query.where(r.read_at.is_(None))
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(m.seq.desc()).limit(limit)).all()
            names = doctor_names(conn, _people(rows))
        return [public_message(r, names) for r in reversed(rows)]

    def after(self, seq: int, limit: int = 500) -> list[dict[str, Any]]:
        """Every message after ``seq`` (for the stream fan-out), oldest first, as published."""
        m = messages_table.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(messages_table).where(self._scope, m.seq > seq).order_by(m.seq).limit(limit)
            ).all()
            names = doctor_names(conn, _people(rows))
        return [public_message(r, names) for r in rows]

    def max_seq(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.scalar(select(func.coalesce(func.max(messages_table.c.seq), 0))
                                   .where(self._scope)) or 0)

    def context_of(self, msg_id: str, *, user_id: str, dept_code: str | None,
                   card_field: str) -> dict[str, str | None] | None:
        """A visible message's patient, visit and report card (for 去处理 deep links)."""
        m = messages_table.c
        with self._engine.connect() as conn:
            row = conn.execute(select(m.patient_id, m.serial_number, m.raw).where(
                and_(m.msg_id == msg_id, self._visible(user_id, dept_code)))).first()
        if row is None:
            return None
        raw = _json.loads(row.raw) if row.raw else {}
        card = raw.get(card_field) if isinstance(raw, dict) else None
        return {"patient_id": row.patient_id, "visit_id": row.serial_number,
                "card_id": str(card) if card not in (None, "") else None, "msg_id": msg_id}

    def change_state(self, msg_id: str, action: str, *, user_id: str, dept_code: str | None,
                     department_handling: bool = False) -> bool:
        """Mark one of the reader's visible messages read or handled, for its owner.

        False if the reader cannot see such a message; ``NotAddressee`` if it is addressed to a
        colleague (and department handling is off). Idempotent.
        """
        m = messages_table.c
        with self._engine.begin() as conn:
            found = conn.execute(select(m.user_id).where(
                and_(m.msg_id == msg_id, self._visible(user_id, dept_code)))).first()
            if found is None:
                return False
            change = plan_change(msg_id, action, addressee=found.user_id, actor=user_id,
                                 department_handling=department_handling)
            apply_change(conn, change, self._clock.now())
        return True


def _people(rows: Sequence[Any]) -> set[str | None]:
    """Every doctor a page of messages names: addressees and who read or handled them."""
    people: set[str | None] = set()
    for row in rows:
        people |= {row.user_id, getattr(row, "read_by", None), getattr(row, "handled_by", None)}
    return people
