"""``sync once`` lists, per table and code, what optional code maps left out (never silent)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

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
    assert "J06.900 ×2" in lines[1]
    assert lines[2] == "警告 emr_activity_info.disease_code 泛化 generalised A15.000 → A15.0 ×3"
    assert len(lines) == 3  # nothing for a table that dropped nothing


def test_codes_past_the_first_ten_are_counted_and_the_page_named() -> None:
    report = PollReport("emr_activity_info", datetime(2026, 3, 2), datetime(2026, 3, 3))
    report.dropped = Counter({("disease_code", "infectious_disease_icd10", f"K{n:02d}.900"): 20 - n
                              for n in range(13)})
    with sync.console.capture() as captured:
        sync._print_codes([report])
    lines = captured.get().splitlines()
    assert len(lines) == 11
    assert "另有 3 个代码被丢弃 dropped 27 次" in lines[-1] and "/console/quality" in lines[-1]


def test_the_pass_shows_rows_withheld_and_excluded_by_rule(
        capsys: pytest.CaptureFixture[str]) -> None:
    report = PollReport("emr_ex_lab_item", datetime(2026, 3, 2), datetime(2026, 3, 3))
    report.counts.rows_read, report.counts.accepted, report.counts.withheld = 10, 7, 2
    report.excluded = Counter({"军人身份": 1})
    sync._print_pass([report], idle=True)  # piped: TSV on stdout
    header, row = capsys.readouterr().out.splitlines()[:2]
    cells = dict(zip(header.split("\t"), row.split("\t"), strict=True))
    assert cells["withheld 上级已删除"] == "2" and cells["excluded 按规则排除"] == "1"
