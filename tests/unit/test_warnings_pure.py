"""Pure pieces of the message concern: back-off, page parsing, audiences, hosts, signatures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hisbridge.connectors.frontend.interaction_config import ServerApiSettings
from hisbridge.connectors.frontend.sso import SSO_PROBLEMS, SsoOutcome, with_host
from hisbridge.connectors.frontend.warnings import parse_message, parse_page
from hisbridge.errors import Transient
from hisbridge.warnings.poller import BackoffPolicy
from hisbridge.web.signing import signed_query, verify
from hisbridge.web.warnings_api import Reader

POLICY = BackoffPolicy(interval_s=5.0, base_s=2.0, cap_s=60.0)


@pytest.mark.parametrize(
    ("failures", "more", "delay"),
    [(0, False, 5.0), (0, True, 0.0), (1, False, 2.0), (2, False, 4.0), (3, True, 5.0),
     (5, False, 5.0), (500, False, 5.0)],
)
def test_backoff_while_the_front_end_is_down_stays_within_one_interval(
    failures: int, more: bool, delay: float
) -> None:
    assert POLICY.delay(failures, more=more) == delay


@pytest.mark.parametrize(("failures", "delay"), [(1, 2.0), (3, 8.0), (5, 32.0), (6, 60.0),
                                                 (500, 60.0)])
def test_backoff_after_a_terminal_failure_grows_to_the_cap(failures: int, delay: float) -> None:
    assert POLICY.delay(failures, terminal=True) == delay


def _wire(seq: int, **extra: object) -> dict[str, object]:
    return {"msgId": f"M{seq}", "seq": seq, "type": "missed_report", "level": "high",
            "title": "传染病漏报提醒", "content": "…", "userId": "D1", **extra}


@given(st.lists(st.integers(1, 10_000), unique=True, max_size=30))
def test_page_is_sorted_by_seq(seqs: list[int]) -> None:
    page = parse_page({"messages": [_wire(s) for s in seqs], "nextCursor": 7},
                      ServerApiSettings())
    assert [m.seq for m in page.messages] == sorted(seqs)
    assert page.next_cursor == "7"


def test_renamed_fields_are_read() -> None:
    settings = ServerApiSettings(messages_field="rows", next_cursor_field="next",
                                 fields={"msg_id": "id", "user_id": "doctorId"})
    page = parse_page({"rows": [{"id": "X", "seq": "3", "doctorId": "D9", "patientId": ""}],
                       "next": ""}, settings)
    message = page.messages[0]
    assert (message.msg_id, message.seq, message.user_id, message.patient_id) == ("X", 3, "D9",
                                                                                   None)
    assert page.next_cursor is None


@pytest.mark.parametrize(
    ("reply", "problem"),
    [({"messages": "nope"}, "not a list"),
     ({"messages": [{"seq": 1}]}, "without msgId"),
     ({"messages": [{"msgId": "A", "seq": "x"}]}, "not an integer"),
     ({"messages": [["not", "an", "object"]]}, "unreadable")],
)
def test_unreadable_pages_are_transient_with_the_reason(reply: dict[str, object],
                                                        problem: str) -> None:
    with pytest.raises(Transient, match=problem):
        parse_page(reply, ServerApiSettings())


def test_parse_message_keeps_raw_fields() -> None:
    message = parse_message(_wire(1, extra="kept"), ServerApiSettings().fields)
    assert message.raw["extra"] == "kept"


@pytest.mark.parametrize(
    ("reader", "row", "wanted"),
    [(Reader("D1", None), {"userId": "D1", "deptCode": "A"}, True),
     (Reader("D1", None), {"userId": "D2", "deptCode": "A"}, False),
     (Reader("D1", "A"), {"userId": "D2", "deptCode": "A"}, True),
     (Reader("D1", "A"), {"userId": None, "deptCode": "B"}, False),
     (Reader("D1", ""), {"userId": "D2", "deptCode": ""}, False)],
)
def test_reader_audience(reader: Reader, row: dict[str, object], wanted: bool) -> None:
    assert reader.wants(row) is wanted


@pytest.mark.parametrize(
    ("base", "host", "expected"),
    [("http://127.0.0.1:18881", "10.1.2.3", "http://10.1.2.3:18881"),
     ("http://127.0.0.1:18881/", "10.1.2.3", "http://10.1.2.3:18881/"),
     ("https://localhost", "pc-12", "https://pc-12")],
)
def test_with_host(base: str, host: str, expected: str) -> None:
    assert with_host(base, host) == expected


def test_every_problem_has_chinese_text() -> None:
    for code in SSO_PROBLEMS:
        outcome = SsoOutcome.fail(code, "细节")
        assert outcome.as_json()["result"] is False and outcome.message.endswith("：细节")


def test_javascript_widget_url_helper_matches_python() -> None:
    node = shutil.which("node")
    if node is None:  # CI (HISBRIDGE_REQUIRE_SERVICES=1) fails instead of skipping
        reason = "node is not installed (needed to check the JavaScript helper)"
        if os.environ.get("HISBRIDGE_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    helper = resources.files("hisbridge.web") / "static" / "ws" / "widget-url.js"
    script = (f"const h = require({json.dumps(str(helper))});"
              "console.log(h.signedQuery({userId: 'D001', deptCode: 'A03', x: null,"
              " userName: \"张医生 (主任)*~!'&a=b\"}, 's3cret',"
              " {now: 1767225600, ttlSeconds: 600}));")
    query = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True,
                           timeout=30).stdout.strip()
    python = signed_query({"userId": "D001", "deptCode": "A03", "x": None,
                           "userName": "张医生 (主任)*~!'&a=b"}, "s3cret",
                          now=1767225600, ttl_s=600)
    assert parse_qsl(query) == parse_qsl(python)  # the same parameters and signature
    verify(dict(parse_qsl(query)), "s3cret", now=1767225600)
