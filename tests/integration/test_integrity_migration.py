"""Upgrading a store with queued work to ``outbox_0003_h15b`` keeps every row and fills each
record's latest op and parent, so deletes of records accepted before the upgrade cascade too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from hisbridge.dictionary import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import alembic_config, pending, upgrade
from hisbridge.store.schema.outbox import outbox, record_keys
from hisbridge.testing import ManualClock

pytestmark = pytest.mark.services
BEFORE = ("outbox_0002", "sources@head", "audit@head", "consent@head", "console@head",
          "messages@head")
_OLD = [  # (table, id, version, op, payload, outbox state)
    ("emr_patient_info", "p1", 1, "upsert", '{"id": "p1"}', "delivered"),
    ("emr_ex_lab", "l1", 1, "upsert", '{"id": "l1", "patient_id": "p1"}', "delivered"),
    ("emr_ex_lab_item", "i1", 1, "upsert", '{"ex_lab_id": "l1", "id": "i1"}', "pending"),
    ("emr_patient_info", "p2", 1, "upsert", '{"id": "p2"}', "delivered"),
    ("emr_patient_info", "p2", 2, "delete", '{"id": "p2"}', "in_flight"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    eng = make_engine(url)
    yield eng
    eng.dispose()


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        for table, rid, version, op, payload, state in _OLD:
            conn.execute(text(
                "INSERT INTO records (table_name, record_id, version, op, content_hash, payload, "
                "source, received_at) VALUES (:t, :i, :v, :op, :h, :p, 'his', "
                "CURRENT_TIMESTAMP)"), {"t": table, "i": rid, "v": version, "op": op,
                                        "h": f"{rid}{version}", "p": payload})
            conn.execute(text(
                "INSERT INTO outbox (table_name, record_id, version, op, state, attempts, "
                "created_at, next_attempt_at, replayed) VALUES (:t, :i, :v, :op, :s, 0, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, false)"),
                {"t": table, "i": rid, "v": version, "op": op, "s": state})
        for table, rid, version, *_ in _OLD:
            conn.execute(text("DELETE FROM record_keys WHERE table_name = :t AND record_id = :i"),
                         {"t": table, "i": rid})
            conn.execute(text("INSERT INTO record_keys VALUES (:t, :i, :v, :h)"),
                         {"t": table, "i": rid, "v": version, "h": f"{rid}{version}"})


def test_upgrade_fills_latest_op_and_parent_and_keeps_the_queue(engine: Engine) -> None:
    cfg = alembic_config(engine)
    for target in BEFORE:
        command.upgrade(cfg, target)
    _seed(engine)
    with engine.connect() as conn:
        queue = conn.execute(text("SELECT id, state FROM outbox ORDER BY id")).all()
    upgrade(engine)
    assert not pending(engine)
    k = record_keys.c
    with engine.connect() as conn:
        keys = {(r.table_name, r.record_id): (r.op, r.parent_table, r.parent_id)
                for r in conn.execute(select(record_keys))}
        assert conn.execute(select(outbox.c.id, outbox.c.state).order_by(outbox.c.id)).all() \
            == queue
    assert keys == {("emr_patient_info", "p1"): ("upsert", None, None),
                    ("emr_ex_lab", "l1"): ("upsert", "emr_patient_info", "p1"),
                    ("emr_ex_lab_item", "i1"): ("upsert", "emr_ex_lab", "l1"),
                    ("emr_patient_info", "p2"): ("delete", None, None)}
    # a delete accepted after the upgrade cascades to what was accepted before it
    StoreIntake(engine, Validator("lenient"), clock=ManualClock()).accept(
        "emr_patient_info", [{"id": "p1"}], op="delete")
    with engine.connect() as conn:
        ops = dict(conn.execute(select(k.record_id, k.op)).all())
    assert ops == {"p1": "delete", "l1": "delete", "i1": "delete", "p2": "delete"}
