"""A doctor of two institutions in a group's store: two base_user records under one staff
number; a delete naming one institution (what docs/group.md tells the HIS to push when the
doctor leaves it) removes that institution's row only."""

from __future__ import annotations

from sqlalchemy import Engine, select

from hisbridge.institutions.routing import intake_routing
from hisbridge.settings import Settings
from hisbridge.store.intake import StoreIntake
from hisbridge.store.schema.outbox import outbox, record_keys
from hisbridge.testing import sample_record

GROUP = Settings(institutions=[{"org_code": "440183001", "name": "示例县人民医院"},
                               {"org_code": "440183101", "name": "示例县石门镇卫生院"}])


def test_a_doctor_leaving_one_institution_keeps_the_row_at_the_other(store_engine: Engine) -> None:
    intake = StoreIntake(store_engine, routing=intake_routing(GROUP.institution_list()))
    both = [sample_record("base_user", "D0002", org_code=org, dept_code="A02")
            for org in ("440183001", "440183101")]
    assert intake.accept("base_user", both).accepted == 2
    left = intake.accept("base_user", [{"id": "D0002", "org_code": "440183101"}], op="delete")
    assert left.accepted == 1
    with store_engine.connect() as conn:
        latest = dict(conn.execute(select(record_keys.c.record_id, record_keys.c.op)).all())
        deletes = conn.execute(select(outbox.c.record_id, outbox.c.institution)
                               .where(outbox.c.op == "delete")).all()
    assert latest == {"440183001/D0002": "upsert", "440183101/D0002": "delete"}
    assert [tuple(d) for d in deletes] == [("440183101/D0002", "440183101")]
