"""The intake says which keys it stored nothing new for (``AcceptResult.unchanged_ids``): the
poller counts a row's dropped or generalised codes only once, however often the overlap re-reads
it — also a child of a deleted parent, withheld again on every re-read."""

from __future__ import annotations

from pathlib import Path

from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.testing import sample_record


def test_a_child_withheld_again_counts_as_nothing_new(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    intake = StoreIntake(engine)
    intake.accept("emr_patient_info", [sample_record("emr_patient_info", "V1")])
    child = sample_record("emr_activity_info", "A1", parent_id="V1")
    assert intake.accept("emr_activity_info", [child]).unchanged_ids == set()
    assert intake.accept("emr_activity_info", [child]).unchanged_ids == {"A1"}
    intake.accept("emr_patient_info", [{"id": "V1"}], op="delete")  # the visit was cancelled
    late = sample_record("emr_activity_info", "A2", parent_id="V1")
    first = intake.accept("emr_activity_info", [late])
    assert first.withheld == 1 and first.unchanged_ids == set()  # stored: as a delete
    again = intake.accept("emr_activity_info", [late])  # the overlap reads it again
    assert again.unchanged_ids == {"A2"}
    engine.dispose()
