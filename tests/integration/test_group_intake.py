"""A hospital group's intake (issue 21): every record routed to the institution whose
organisation code it carries, or held with the reason (never sent, never dropped); one HIS key
at two institutions is two records; a single hospital's intake is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from hisbridge.institutions.routing import intake_routing
from hisbridge.settings import Settings
from hisbridge.store.held import held_records
from hisbridge.store.intake import StoreIntake
from hisbridge.store.outbox import OutboxQueue
from hisbridge.store.schema.outbox import outbox, quarantine, record_keys, records
from hisbridge.testing import sample_record

GROUP = Settings(institutions=[
    {"org_code": "H01", "name": "县人民医院"},
    {"org_code": "T01", "name": "甲镇卫生院", "tables": ["emr_patient_info", "base_dept"]},
    {"org_code": "T02", "name": "乙镇卫生院", "enabled": False},
])


def _intake(engine: Engine) -> StoreIntake:
    return StoreIntake(engine, routing=intake_routing(GROUP.institution_list()))


def _patient(key: str, org: str, **more: Any) -> dict[str, Any]:
    return sample_record("emr_patient_info", key, org_code=org, **more)


def _entries(engine: Engine) -> list[tuple[str, str, int, str | None]]:
    o = outbox.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            select(o.table_name, o.record_id, o.version, o.institution).order_by(o.id))]


def test_each_record_goes_to_the_institution_it_names(store_engine: Engine) -> None:
    result = _intake(store_engine).accept("emr_patient_info",
                                          [_patient("P1", "H01"), _patient("P2", "T01")])
    assert result.accepted == 2 and not result.rejected
    assert _entries(store_engine) == [("emr_patient_info", "H01/P1", 1, "H01"),
                                      ("emr_patient_info", "T01/P2", 1, "T01")]
    with store_engine.connect() as conn:  # the body sent names the HIS key, not the stored one
        wire = conn.execute(select(records.c.wire).where(records.c.record_id == "H01/P1")).scalar()
    assert '"id":"P1"' in str(wire).replace(" ", "")


@pytest.mark.parametrize(("table", "org", "rule", "institution"), [
    ("emr_patient_info", "X99", "unknown_org", None),
    ("emr_order_item", "", "missing_org", None),  # no org_code field, no routing column
    ("emr_patient_info", "T02", "disabled_org", "T02"),
    ("emr_order", "T01", "table_not_applicable", "T01"),
])
def test_a_record_no_institution_takes_is_held_with_the_reason_and_the_fix(
        store_engine: Engine, table: str, org: str, rule: str, institution: str | None) -> None:
    key = "K1"
    record = sample_record(table, key, org_code=org) if org else \
        {k: v for k, v in sample_record(table, key).items() if k != "org_code"}
    result = _intake(store_engine).accept(table, [record])
    assert result.accepted == 0 and len(result.rejected) == 1
    (violation,) = result.rejected[0].violations
    assert (violation.field, violation.rule) == ("org_code", rule)
    assert violation.label_zh.startswith(("医疗机构", "组织机构"))
    assert result.rejected[0].record_id == key  # the caller hears of its HIS key
    assert _entries(store_engine) == []  # never queued, so never sent
    with store_engine.connect() as conn:
        (held_in,) = conn.execute(select(quarantine.c.institution)).scalars()
    assert held_in == institution
    (held,) = held_records(store_engine)
    assert (held.table, held.field, held.rule) == (table, "org_code", rule)
    assert "institutions" in held.hint_zh + held.hint_en or "mapping" in held.hint_en
    assert held.hint_zh and held.hint_en and (org in held.hint_zh)


def test_a_table_without_org_code_routes_by_the_mappings_routing_column(
        store_engine: Engine) -> None:
    item = {**sample_record("emr_order_item", "I1", parent_id="O1"), "org_code": "H01"}
    result = _intake(store_engine).accept("emr_order_item", [item])
    assert result.accepted == 1 and not result.rejected  # not an unknown field either
    assert _entries(store_engine) == [("emr_order_item", "H01/I1", 1, "H01")]
    with store_engine.connect() as conn:
        payload = conn.execute(select(records.c.payload)).scalar()
    assert "org_code" not in str(payload)  # routing only: never sent


def test_a_record_held_for_an_unknown_institution_is_released_once_it_is_configured(
        store_engine: Engine) -> None:
    _intake(store_engine).accept("emr_patient_info", [_patient("P9", "T03")])
    assert [h.rule for h in held_records(store_engine)] == ["unknown_org"]
    fixed = Settings(institutions=[*GROUP.institutions, {"org_code": "T03"}])
    later = StoreIntake(store_engine, routing=intake_routing(fixed.institution_list()))
    assert later.accept("emr_patient_info", [_patient("P9", "T03")]).accepted == 1
    assert held_records(store_engine) == []  # the valid version released it
    assert _entries(store_engine) == [("emr_patient_info", "T03/P9", 1, "T03")]


def test_one_his_key_at_two_institutions_is_two_records_neither_superseding_the_other(
        store_engine: Engine) -> None:
    intake = _intake(store_engine)
    intake.accept("emr_patient_info", [_patient("P1", "H01"), _patient("P1", "T01")])
    # the same HIS row again at H01 is unchanged; a change at T01 is T01's version 2 only
    again = intake.accept("emr_patient_info", [_patient("P1", "H01"),
                                               _patient("P1", "T01", serial=7)])
    assert (again.accepted, again.unchanged, again.unchanged_ids) == (1, 1, {"P1"})
    assert _entries(store_engine) == [("emr_patient_info", "H01/P1", 1, "H01"),
                                      ("emr_patient_info", "T01/P1", 1, "T01"),
                                      ("emr_patient_info", "T01/P1", 2, "T01")]
    # a child waits for its own institution's parent, not the other one's
    child = sample_record("emr_activity_info", "A1", parent_id="P1", org_code="H01")
    intake.accept("emr_activity_info", [child])
    with store_engine.connect() as conn:
        parent = conn.execute(select(outbox.c.parent_id).where(
            outbox.c.table_name == "emr_activity_info")).scalar()
    assert parent == "H01/P1"


def test_a_delete_naming_only_its_key_goes_to_every_institution_that_has_it(
        store_engine: Engine) -> None:
    intake = _intake(store_engine)
    intake.accept("emr_patient_info", [_patient("P1", "H01"), _patient("P1", "T01"),
                                       _patient("P2", "H01")])
    child = sample_record("emr_activity_info", "A1", parent_id="P1", org_code="H01")
    assert intake.accept("emr_activity_info", [child]).accepted == 1
    result = intake.accept("emr_patient_info", [{"id": "P1"}, {"id": "P404"}], op="delete")
    assert result.accepted == 2 and [r.record_id for r in result.rejected] == ["P404"]
    o = outbox.c
    with store_engine.connect() as conn:
        deletes = conn.execute(select(o.table_name, o.record_id, o.institution, records.c.payload)
                               .join(records, (records.c.table_name == o.table_name)
                                     & (records.c.record_id == o.record_id)
                                     & (records.c.version == o.version))
                               .where(o.op == "delete").order_by(o.id)).all()
        latest = dict(conn.execute(select(record_keys.c.record_id, record_keys.c.op)).all())
    # H01's child is deleted too (cascade), naming its HIS key; each delete at its institution
    assert sorted((t, rid, inst, payload) for t, rid, inst, payload in deletes) == [
        ("emr_activity_info", "H01/A1", "H01", '{"id":"A1"}'),
        ("emr_patient_info", "H01/P1", "H01", '{"id":"P1"}'),
        ("emr_patient_info", "T01/P1", "T01", '{"id":"P1"}')]
    assert latest["H01/P2"] == "upsert"


def test_a_single_hospital_stores_bare_keys_and_no_institution(store_engine: Engine) -> None:
    assert intake_routing(Settings().institution_list()) is None
    StoreIntake(store_engine).accept("emr_patient_info", [_patient("P1", "anything")])
    assert _entries(store_engine) == [("emr_patient_info", "P1", 1, None)]


def test_the_queue_hands_out_a_groups_entries_with_their_institution(store_engine: Engine) -> None:
    _intake(store_engine).accept("emr_patient_info", [_patient("P1", "H01")])
    (item,) = OutboxQueue(store_engine).claim("w", 10, 60)
    assert item.record_id == "H01/P1"


def test_a_doctors_sso_checks_delivery_to_the_doctors_own_institution(
        store_engine: Engine) -> None:
    from sqlalchemy import update

    from hisbridge.runtime.gateway import message_settings
    from hisbridge.warnings.services import _delivered_lookup

    _intake(store_engine).accept("base_user", [sample_record("base_user", "D1", org_code=code)
                                               for code in ("H01", "T01")])
    with store_engine.begin() as conn:  # delivered to H01's front-end only
        conn.execute(update(outbox).where(outbox.c.record_id == "H01/D1").values(state="delivered"))
    wanted = message_settings(GROUP)
    assert _delivered_lookup(wanted, store_engine, "H01").is_delivered("base_user", "D1")
    assert not _delivered_lookup(wanted, store_engine, "T01").is_delivered("base_user", "D1")


def test_one_batch_mixing_routed_held_and_invalid_records_is_stored_whole(
        store_engine: Engine) -> None:
    batch = [_patient("P1", "H01"), _patient("P2", "X99"),
             {k: v for k, v in _patient("P3", "").items() if k != "org_code"},  # invalid
             _patient("P4", "H01", gender_code="not-a-code-at-all-" * 3)]
    result = _intake(store_engine).accept("emr_patient_info", batch)
    assert result.accepted == 1 and sorted(r.record_id or "" for r in result.rejected) == [
        "P2", "P3", "P4"]
    with store_engine.connect() as conn:
        held = sorted(conn.execute(select(quarantine.c.record_id, quarantine.c.institution)).all())
    assert held == [("H01/P4", "H01"), ("P3", None), ("X99/P2", None)]


def test_a_key_too_long_once_qualified_is_held_saying_how_long_it_may_be(
        store_engine: Engine) -> None:
    long_org = "L" * 50  # organisation codes may take up to 50 characters
    group = Settings(institutions=[{"org_code": long_org}, {"org_code": "H01"}])
    intake = StoreIntake(store_engine, routing=intake_routing(group.institution_list()))
    items = [{**sample_record("emr_order_item", key, parent_id="O1"), "org_code": long_org}
             for key in ("K" * 80, "K" * 77)]  # 131 characters once qualified; 128 fits
    result = intake.accept("emr_order_item", items)
    assert result.accepted == 1
    (rejected,) = result.rejected
    assert [(v.rule, v.field) for v in rejected.violations] == [("key", "id")]
    assert "77" in rejected.violations[0].hint_zh  # 128 - 50 - 1


def test_a_delete_of_a_record_sent_before_the_group_goes_to_its_legacy_owner(
        store_engine: Engine) -> None:
    StoreIntake(store_engine).accept("emr_patient_info", [_patient("OLD", "H01")])  # single
    result = _intake(store_engine).accept("emr_patient_info", [{"id": "OLD"}], op="delete")
    assert result.accepted == 1 and not result.rejected
    assert _entries(store_engine)[-1] == ("emr_patient_info", "OLD", 2, None)


def test_reconciliation_finds_each_his_key_at_its_institutions(store_engine: Engine) -> None:
    from sqlalchemy import update

    from hisbridge.runtime.delivery import DeliveryService
    from hisbridge.sources.reconcile import group_codes, key_states

    service = DeliveryService.from_settings(GROUP, store_engine)
    codes = group_codes(service)
    assert codes == ("H01", "T01", "T02") and group_codes(StoreIntake(store_engine)) == ()
    service.accept("emr_patient_info", [_patient("P1", "H01"), _patient("P1", "T01"),
                                        _patient("P2", "H01"), _patient("P3", "X99")])
    with store_engine.begin() as conn:  # P1 delivered at H01 only, P2 delivered
        conn.execute(update(outbox).where(outbox.c.record_id.in_(["H01/P1", "H01/P2"]))
                     .values(state="delivered"))
    keys = ["P1", "P2", "P3", "P4"]
    assert key_states(store_engine, "emr_patient_info", keys, codes) == {
        "P1": "pending", "P2": "delivered", "P3": "quarantined"}  # P4: missing
    assert key_states(store_engine, "emr_patient_info", keys) == {}  # bare keys find nothing


def test_resending_an_unchanged_record_requeues_it_at_its_institution(
        store_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from sqlalchemy import update

    from hisbridge.dictionary import load_dictionary
    from hisbridge.sources import resend

    intake = _intake(store_engine)
    record = _patient("P1", "T01")
    intake.accept("emr_patient_info", [record, _patient("P1", "H01")])
    with store_engine.begin() as conn:
        conn.execute(update(outbox).values(state="delivered"))
    row = SimpleNamespace(record=record, op="upsert", filtered=False, problems=[])
    monkeypatch.setattr(resend, "read_one", lambda *_: row)  # the HIS row as mapped, unchanged
    poller = SimpleNamespace(project=SimpleNamespace(dictionary=load_dictionary()))
    done = resend.resend_one(poller, intake, store_engine, "emr_patient_info", "P1",  # type: ignore[arg-type]
                             datetime.now(UTC))
    assert (done.verdict, done.stored) == ("requeued", "T01/P1")
    entry = resend.latest_entry(store_engine, "emr_patient_info", done.stored)
    assert (entry.state, entry.institution, entry.note) == ("pending", "T01", "resend")
