"""A hospital group's store for tests: rows of two institutions, each marked, in every table
the console and the CLI read (outbox, records, quarantine, warnings, consents, audit).

``seed_institution(engine, code, marker)`` writes one institution's rows with ``marker`` in
record ids, patients, reasons and titles, so a test can assert that no row of another
institution appears anywhere. ``code=None`` writes them as a single-institution gateway (or an
older store) does: with the institution column NULL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from hisbridge import _json
from hisbridge._operator import Operator
from hisbridge.audit.log import AuditLog, AuditRecorder
from hisbridge.store.schema.consent import gd_consent
from hisbridge.store.schema.outbox import outbox, quarantine, record_keys, records
from hisbridge.store.schema.warnings import warning_messages, warning_poll_state

__all__ = ["DEAD_TABLE", "group_settings_yaml", "seed_institution"]

DEAD_TABLE = "emr_patient_info"


def group_settings_yaml(codes: dict[str, str], default: str) -> str:
    """A settings file's text serving ``codes`` (org_code -> name), ``default`` the top level."""
    lines = ["frontend:", f"  org_code: {default}", "institutions:"]
    for code, name in codes.items():
        lines += [f"  - org_code: {code}", f"    name: {name}"]
    return "\n".join(lines) + "\n"


def _outbox_rows(code: str | None, marker: str, now: datetime) -> list[dict[str, object]]:
    base = {"table_name": DEAD_TABLE, "version": 1, "op": "upsert", "attempts": 3,
            "created_at": now, "next_attempt_at": now, "replayed": False, "institution": code}
    return [{**base, "record_id": f"{marker}-P1", "state": "dead", "finished_at": now,
             "last_error": f"拒收 refused {marker}", "error_code": "04", "last_reply": marker},
            {**base, "record_id": f"{marker}-P2", "state": "pending", "finished_at": None,
             "last_error": None, "error_code": None, "last_reply": None}]


def seed_institution(engine: Engine, code: str | None, marker: str,
                     now: datetime | None = None) -> None:
    """One institution's rows, every one carrying ``marker`` (see the module doc)."""
    now = now or datetime.now(UTC)
    payload = _json.dumps_str({"id": f"{marker}-P1", "patient_id": marker, "name": marker})
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(insert(records).values(
                table_name=DEAD_TABLE, record_id=f"{marker}-P{n}", version=1, op="upsert",
                content_hash="0" * 32, payload=payload, source="test", received_at=now))
            conn.execute(insert(record_keys).values(
                table_name=DEAD_TABLE, record_id=f"{marker}-P{n}", version=1, content_hash="0" * 32))
        conn.execute(insert(outbox), _outbox_rows(code, marker, now))
        violation = {"field": "id_card", "label_zh": "身份证号", "rule": "id_card", "value": marker,
                     "hint_zh": marker, "hint_en": marker, "severity": "error"}
        conn.execute(insert(quarantine).values(
            table_name=DEAD_TABLE, record_id=f"{marker}-Q1", op="upsert", payload=payload,
            violations=_json.dumps_str([violation]), source="test", received_at=now,
            institution=code))
        conn.execute(insert(warning_messages).values(
            msg_id=f"{marker}-M1", seq=1, type="disease", level="high", title=f"预警 {marker}",
            content=marker, patient_id=marker, polled_at=now, raw="{}", institution=code))
        conn.execute(insert(warning_poll_state).values(
            name=f"messages:{code}" if code else "frontend-messages", last_seq=0, failures=0,
            last_error=f"前置机超时 timeout {marker}"))
        conn.execute(insert(gd_consent).values(
            id=f"{marker}-C1", auth_id=f"{marker}-A1", his_patient_id=marker,
            patient_masked=marker, encounter_type="OP", encounter_id=f"{marker}-E1", channel="SMS",
            status="GRANTED", open_key=f"{marker}-k", operator_id=marker, dept_code="D01",
            created_at=now, updated_at=now, granted_at=now, valid_to=now + timedelta(days=1),
            org_code=code))
    recorder = AuditRecorder(AuditLog(engine, algorithm="sm3"), key_secret="test-secret",
                             org_code=code or "")
    recorder.record("record.view", Operator(marker, marker, "doctor", "D01", client_addr="127.0.0.1"),
                    patient_masked=marker, doc_id=f"{marker}-doc")
