"""``sync once`` lists, per table and code, what optional code maps left out (never silent)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from hisbridge.cli import sync
from hisbridge.sources.sql_poll import PollReport


def test_dropped_codes_are_listed_per_table_with_the_code_map() -> None:
    report = PollReport("emr_activity_info", datetime(2026, 3, 2), datetime(2026, 3, 3))
    report.dropped = Counter({("disease_code", "infectious_disease_icd10", "I10.x00"): 7,
                              ("disease_code", "infectious_disease_icd10", "J06.900"): 2})
    report.generalised = Counter({("disease_code", "infectious_disease_icd10", "A15.000",
                                   "A15.0"): 3})
    quiet = PollReport("base_dept", datetime(2026, 3, 2), datetime(2026, 3, 3))
    with sync.console.capture() as captured:
        sync._print_codes([report, quiet])
    lines = captured.get().splitlines()
    assert lines[0] == ("警告 emr_activity_info.disease_code 丢弃代码 dropped I10.x00 ×7 → "
                        "codemaps/infectious_disease_icd10.csv")
    assert "J06.900 ×2" in lines[1] and "泛化 generalised 3" in lines[2]
    assert len(lines) == 3  # nothing for a table that dropped nothing
