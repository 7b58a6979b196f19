"""Sources: watermarks, poll runs (health), unmapped codes, mapping rejects, seen keys.

* ``source_watermarks`` — per (source, table) how far extraction got; moved only after the
  intake committed the rows up to it.
* ``source_runs`` — one row per poll of one table: counts and the error if it failed; the
  console's source health reads the latest ones.
* ``source_unmapped_codes`` — hospital codes with no line in a code map, with counts, so the
  engineer knows exactly which lines to add; ``outcome`` says whether the code was sent as is
  (``unmapped``), left out by an optional code map (``dropped``) or sent as a broader code
  (``generalised``, the code sent in ``mapped_to``).
* ``source_rejects`` — rows quarantined by the mapping itself (unmapped code under
  ``strict_codes``, undecodable text, wrong types) with field-level reasons; no payload kept.
* ``source_excluded_keys`` — keys a do-not-send rule kept back (or whose parent was kept
  back), so the children of an excluded patient are kept back too; nothing else is stored.
* ``source_seen_keys`` — keys accepted per business day for tables without a delete flag; the
  closing sweep compares them with the HIS to find rows deleted outright.
"""

from __future__ import annotations

from sqlalchemy import (
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
    "CODE_OUTCOMES",
    "RUN_STATES",
    "source_excluded_keys",
    "source_rejects",
    "source_runs",
    "source_seen_keys",
    "source_unmapped_codes",
    "source_watermarks",
]

RUN_STATES = ("running", "ok", "failed")
CODE_OUTCOMES = ("unmapped", "dropped", "generalised")
_ID = ID

source_watermarks = Table(
    "source_watermarks", metadata,
    Column("source", String(40), primary_key=True),
    Column("table_name", String(64), primary_key=True),
    Column("watermark", String(40), nullable=False),
    Column("updated_at", TIMESTAMP, nullable=False),
)

source_runs = Table(
    "source_runs", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("started_at", TIMESTAMP, nullable=False),
    Column("finished_at", TIMESTAMP, nullable=True),
    Column("status", String(8), nullable=False),
    Column("since", String(40), nullable=True),
    Column("until", String(40), nullable=True),
    Column("rows_read", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("filtered", Integer, nullable=False),
    Column("deleted", Integer, nullable=False),
    Column("unmapped", Integer, nullable=False),
    # children of a deleted parent kept away from the front-end (``AcceptResult.withheld``)
    Column("withheld", Integer, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    CheckConstraint("status IN ('running', 'ok', 'failed')", name="status"),
    Index("ix_source_runs_source_table_name_started_at", "source", "table_name", "started_at"),
)

source_unmapped_codes = Table(
    "source_unmapped_codes", metadata,
    Column("source", String(40), primary_key=True),
    Column("table_name", String(64), primary_key=True),
    Column("column_name", String(64), primary_key=True),
    Column("hospital_code", String(100), primary_key=True),
    Column("code_set", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_seen", TIMESTAMP, nullable=False),
    Column("last_seen", TIMESTAMP, nullable=False),
    Column("outcome", String(12), nullable=False, server_default="unmapped"),
    Column("mapped_to", String(100), nullable=True),
)

source_rejects = Table(
    "source_rejects", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("source", String(40), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("record_id", String(128), nullable=True),
    Column("stage", String(8), nullable=False),
    Column("violations", Text, nullable=False),
    Column("created_at", TIMESTAMP, nullable=False),
    CheckConstraint("stage IN ('mapping', 'intake')", name="stage"),
    Index("ix_source_rejects_source_table_name_created_at", "source", "table_name", "created_at"),
)

source_seen_keys = Table(
    "source_seen_keys", metadata,
    Column("source", String(40), primary_key=True),
    Column("table_name", String(64), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("record_key", String(128), primary_key=True),
    Index("ix_source_seen_keys_day", "day"),  # retention deletes past days
)

source_excluded_keys = Table(
    "source_excluded_keys", metadata,
    Column("source", String(40), primary_key=True),
    Column("table_name", String(64), primary_key=True),
    Column("record_key", String(128), primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("created_at", TIMESTAMP, nullable=False),
)
