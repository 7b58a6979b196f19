"""Deletes that keep the front-end whole: a parent's delete first deletes its children.

The front-end's tables have foreign keys (every clinical table to ``emr_patient_info``, lab and
exam items to their report, order items to their order). When a parent record is deleted, the
children the gateway delivered for it must go first. ``record_keys`` holds each record's latest
op and parent, so the children of a deleted parent are a lookup away:

- ``cascade`` (``delivery.on_parent_delete``, the default): in the same transaction as the
  parent's delete, every live descendant gets a delete version (deepest first), marked with the
  source ``cascade:<parent table>``; the parent's delete waits until those are delivered
  (``hisbridge.store.outbox``).
- an upsert of a child whose parent's latest version is a delete is *withheld*: kept as a
  delete (source ``cascade:``), never sent, counted in ``AcceptResult.withheld``; so the
  children of a cancelled visit that the HIS still returns stay away from the front-end, and
  reconciliation lists them as withdrawn with their parent.
- ``hold``: the parent's delete is stored with the note ``held_for_children`` and waits until
  the HIS has deleted every child itself; ``hisbridge outbox status`` shows it waiting.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, delete, select, update

from hisbridge import _ids, _json
from hisbridge.dictionary import Dictionary
from hisbridge.store.institution_keys import unqualified
from hisbridge.store.schema.outbox import outbox, record_keys, records

__all__ = ["CASCADE_SOURCE", "HELD_FOR_CHILDREN", "Child", "OnParentDelete", "cascade_deletes",
           "delete_hash", "deleted_parents", "drop_obsolete", "live_children"]

OnParentDelete = Literal["cascade", "hold"]
CASCADE_SOURCE = "cascade:"
HELD_FOR_CHILDREN = "held_for_children"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Child:
    """A live record whose parent is being deleted: its key, latest version and parent."""

    table: str
    record_id: str
    version: int
    parent: tuple[str, str]


def delete_hash(payload: str) -> str:
    """The content hash of a delete with ``payload`` (as the intake computes it)."""
    return _ids.content_hash(f"delete\n{payload}".encode())


def _by_table(keys: Iterable[tuple[str, str]]) -> Iterator[tuple[str, list[str]]]:
    """(table, ids) in chunks: ``table = x AND id IN (...)`` uses the primary key's index where
    a row-value ``IN`` may not (SQLite)."""
    tables: dict[str, set[str]] = {}
    for table, record_id in keys:
        tables.setdefault(table, set()).add(record_id)
    for table, ids in sorted(tables.items()):
        wanted = sorted(ids)
        for start in range(0, len(wanted), _CHUNK):
            yield table, wanted[start:start + _CHUNK]


def deleted_parents(conn: Connection, parents: Iterable[tuple[str, str]]
                    ) -> set[tuple[str, str]]:
    """The ``parents`` whose latest version is a delete."""
    k = record_keys.c
    found: set[tuple[str, str]] = set()
    for table, ids in _by_table(parents):
        rows = conn.execute(select(k.record_id).where(
            k.table_name == table, k.record_id.in_(ids), k.op == "delete"))
        found.update((table, rid) for (rid,) in rows)
    return found


def live_children(conn: Connection, parents: Iterable[tuple[str, str]]) -> list[Child]:
    """Records whose latest version is an upsert naming one of ``parents`` as its parent."""
    k = record_keys.c
    found: list[Child] = []
    for table, ids in _by_table(parents):
        rows = conn.execute(select(k.table_name, k.record_id, k.version, k.parent_id).where(
            k.parent_table == table, k.parent_id.in_(ids), k.op == "upsert"))
        found += [Child(t, rid, v, (table, pid)) for t, rid, v, pid in rows]
    return found


def _descendants(conn: Connection, parents: Iterable[tuple[str, str]]) -> list[Child]:
    """Every live descendant, deepest first (a lab item before its report)."""
    levels: list[list[Child]] = []
    frontier = list(parents)
    seen: set[tuple[str, str]] = set(frontier)
    while frontier:
        level = [c for c in live_children(conn, frontier) if (c.table, c.record_id) not in seen]
        if not level:
            break
        levels.append(level)
        frontier = [(c.table, c.record_id) for c in level]
        seen.update(frontier)
    return [child for level in reversed(levels) for child in level]


def cascade_deletes(conn: Connection, dictionary: Dictionary, parents: Iterable[tuple[str, str]],
                    now: datetime, codes: Collection[str] = ()) -> set[tuple[str, str]]:
    """Write a delete version (and its outbox entry) for every live descendant of ``parents``;
    the descendants' keys. ``codes``: a hospital group's institutions (stored keys are then
    qualified: each delete goes to its record's institution, naming the HIS key)."""
    children = _descendants(conn, parents)
    if not children:
        return set()
    versions, entries, latest = [], [], []
    for child in children:
        key = dictionary.table(child.table).primary_key
        org, his_key = unqualified(child.record_id) if codes else (None, child.record_id)
        if org not in codes:  # stored before the group: a bare key
            org, his_key = None, child.record_id
        payload = _json.dumps_str({key: his_key}, sort_keys=True)
        digest, version = delete_hash(payload), child.version + 1
        versions.append({"table_name": child.table, "record_id": child.record_id,
                         "version": version, "op": "delete", "content_hash": digest,
                         "payload": payload, "source": f"{CASCADE_SOURCE}{child.parent[0]}",
                         "received_at": now})
        entries.append(_entry(child, version, now, org) if codes else _entry(child, version, now))
        latest.append({"b_t": child.table, "b_i": child.record_id, "b_v": version,
                       "b_h": digest})
    conn.execute(records.insert(), versions)
    conn.execute(outbox.insert(), entries)
    k = record_keys.c
    conn.execute(update(record_keys).where(
        k.table_name == bindparam("b_t"), k.record_id == bindparam("b_i")).values(
        version=bindparam("b_v"), content_hash=bindparam("b_h"), op="delete"), latest)
    return {(c.table, c.record_id) for c in children}


def drop_obsolete(conn: Connection, parents: Iterable[tuple[str, str]]) -> int:
    """Remove unclaimed upserts naming a deleted parent that a newer version has replaced.

    Such an entry could only ever put an orphan at the front-end, so it waits for its parent for
    ever, and the newer versions of its record (the cascaded delete, or the move to another
    parent) would wait behind it. The front-end keeps only the latest version of a record, so
    nothing is lost; the version itself stays in ``records``.
    """
    o, k = outbox.c, record_keys.c
    newer = select(k.version).where(k.table_name == o.table_name,
                                    k.record_id == o.record_id).scalar_subquery()
    dropped = 0
    for table, ids in _by_table(parents):
        result = conn.execute(delete(outbox).where(
            o.parent_table == table, o.parent_id.in_(ids), o.op == "upsert",
            o.state == "pending", o.attempts == 0, o.version < newer))
        dropped += int(result.rowcount or 0)
    return dropped


def _entry(child: Child, version: int, now: datetime, *institution: str | None
           ) -> dict[str, Any]:
    """The delete's outbox entry; in a group with its ``institution`` (a store's schema from
    before groups has no such column: a single hospital's entries leave it out)."""
    return {"table_name": child.table, "record_id": child.record_id, "version": version,
            "op": "delete", "parent_table": child.parent[0], "parent_id": child.parent[1],
            "state": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now,
            "replayed": False, "note": "cascade",
            **({"institution": institution[0]} if institution else {})}

