"""The delivery store: record versions, the outbox queue, attempts, quarantine and replays.

- ``records``: every accepted version of a record (snake_case JSON text), keyed by
  (table_name, record_id, version); the console finds them by the payload's ``patient_id`` and
  ``serial_number`` through expression indexes (``store.json_field``). ``wire`` is the body the
  data API is sent (camelCase JSON text built once at intake; NULL for versions stored before
  it or when no API is fed).
- ``record_keys``: one row per (table_name, record_id): the latest version, its content hash
  (to skip unchanged re-extractions without reading ``records``), its op and its parent record
  (so a parent's delete finds the children delivered for it, and waits for their deletes).
- ``outbox``: one entry per version to send, with its state (a closed enum), the next attempt
  time, the lease of the worker holding it, the last reason and reply, and the institution
  (organisation code) it goes to in a hospital group.
- ``attempts``: one row per failed send attempt (when, target, outcome, reply or error,
  duration) and one per batch of deliveries (``outbox_id`` NULL, ``records`` how many; each
  delivered entry points to it by ``outbox.attempt_id``), so a success costs no row of its own.
- ``quarantine``: records that failed validation, with their violations; kept, never sent.
- ``replays``: one row per replay request; new outbox entries point to it and to the original.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from hisbridge.store.json_field import PayloadField
from hisbridge.store.schema import ID, TIMESTAMP, metadata
from hisbridge.store.schema.queue import STATES, queue_columns, queue_indexes

__all__ = ["OUTBOX_STATES", "SEARCHED_FIELDS", "attempts", "outbox", "quarantine", "record_keys",
           "records", "replays"]

OUTBOX_STATES = STATES
OPS = ("upsert", "delete")

_Id = ID
_TS = TIMESTAMP

records = Table(
    "records",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("record_id", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("op", String(8), nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("wire", Text, nullable=True),
    Column("source", String(200), nullable=False),
    Column("received_at", _TS, nullable=False),
    CheckConstraint("op IN ('upsert', 'delete')", name="op"),
)
# The console's record search: payload fields with an expression index each.
SEARCHED_FIELDS = ("patient_id", "serial_number")
for _field in SEARCHED_FIELDS:
    Index(f"ix_records_{_field}", PayloadField(records.c.payload, _field))

record_keys = Table(
    "record_keys",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("record_id", String(128), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("op", String(8), nullable=False, server_default="upsert"),
    Column("parent_table", String(64), nullable=True),
    Column("parent_id", String(128), nullable=True),
)
# A parent's delete looks up its children by their parent key.
Index("ix_record_keys_parent", record_keys.c.parent_table, record_keys.c.parent_id)

replays = Table(
    "replays",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("created_at", _TS, nullable=False),
    Column("filter", Text, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("requested_by", String(200), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("table_name", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("op", String(8), nullable=False),
    Column("parent_table", String(64), nullable=True),
    Column("parent_id", String(128), nullable=True),
    *queue_columns(),
    Column("replay_of", _Id, ForeignKey("outbox.id"), nullable=True),
    Column("replay_id", _Id, ForeignKey("replays.id"), nullable=True),
    Column("replayed", Boolean, nullable=False),
    Column("attempt_id", _Id, nullable=True),  # the delivered batch's attempts row
    # The organisation code of the institution the entry goes to (a hospital group's gateway
    # serves several, each with its own front-end); NULL: the single institution of a gateway
    # configured without ``institutions`` (and every entry queued before groups existed).
    Column("institution", String(50), nullable=True),
    CheckConstraint("op IN ('upsert', 'delete')", name="op"),
)
queue_indexes(outbox)
# Each institution's worker claims its own pending entries (one front-end down never stalls another).
Index("ix_outbox_institution_state_id", outbox.c.institution, outbox.c.state, outbox.c.id)
Index("ix_outbox_table_name_record_id", outbox.c.table_name, outbox.c.record_id, outbox.c.id)
# Retention reads finished entries by (finished_at, id) (queued ones have no finished_at; state
# is not the leading column so the claim's parent lookup keeps its (table, id) index), and
# deleting an entry makes PostgreSQL look up entries that replay it.
# A parent's delete waits while a delete of one of its children is unfinished.
Index("ix_outbox_parent", outbox.c.parent_table, outbox.c.parent_id)
Index("ix_outbox_finished_at_id", outbox.c.finished_at, outbox.c.id)
Index("ix_outbox_replay_of", outbox.c.replay_of)

attempts = Table(
    "attempts",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("outbox_id", _Id, ForeignKey("outbox.id"), nullable=True),  # NULL: a delivered batch
    Column("attempt_no", Integer, nullable=False),
    Column("started_at", _TS, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("target", String(200), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error_code", String(16), nullable=True),
    Column("reply", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("worker", String(100), nullable=False),
    Column("records", Integer, nullable=False, server_default="1"),
)
Index("ix_attempts_outbox_id", attempts.c.outbox_id)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("table_name", String(64), nullable=False),
    Column("record_id", String(128), nullable=True),
    Column("op", String(8), nullable=False),
    Column("payload", Text, nullable=False),
    Column("violations", Text, nullable=False),
    Column("source", String(200), nullable=False),
    Column("received_at", _TS, nullable=False),
    # The institution the record belongs to, when known (NULL: single institution, or unroutable).
    Column("institution", String(50), nullable=True),
)
Index("ix_quarantine_table_name_received_at", quarantine.c.table_name, quarantine.c.received_at)
