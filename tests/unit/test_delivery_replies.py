"""How the front-end's replies become outcomes (protocol.md 2.4): a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hisbridge import _json
from hisbridge.connectors.frontend.mapping import db_row, outcome_from_reply, parse_retry_after
from hisbridge.dictionary import load_dictionary


def body(**fields: object) -> bytes:
    return _json.dumps(fields)


@pytest.mark.parametrize(
    ("status", "reply", "verdict", "code"),
    [
        (200, body(result=True, desc="成功", id="p1"), "delivered", None),
        (201, body(result=True), "delivered", None),
        (200, body(result=False, errorCode="01", errorName="数据入库失败"), "transient", "01"),
        (200, body(result=False, errorCode="99", errorName="系统异常"), "transient", "99"),
        (200, body(result=False, errorCode="02", errorName="授权错误"), "terminal", "02"),
        (200, body(result=False, errorCode="03"), "terminal", "03"),
        (200, body(result=False, errorCode="04", desc="患者姓名不能为空"), "terminal", "04"),
        (200, body(result=False, errorCode="05"), "terminal", "05"),
        (200, body(result=False, errorCode="77"), "terminal", "77"),
        (200, body(result=False), "terminal", None),
        (200, b"<html>gateway</html>", "transient", None),  # no success reply: not delivered
        (200, body(desc="ok"), "transient", None),
        (200, b"[]", "transient", None),
        (500, body(result=False, errorCode="99"), "transient", "99"),
        (502, b"bad gateway", "transient", None),
        (503, b"", "transient", None),
        (429, b"", "transient", None),
        (408, b"", "transient", None),
        (400, body(result=False, errorCode="03"), "terminal", "03"),
        (404, b"not found", "terminal", None),
        (405, b"", "terminal", None),
        (413, b"", "terminal", None),
    ],
)
def test_reply_verdicts(status: int, reply: bytes, verdict: str, code: str | None) -> None:
    outcome = outcome_from_reply(status, reply)
    assert outcome.verdict == verdict
    assert outcome.error_code == code
    assert outcome.status_code == status
    if verdict != "delivered":
        assert outcome.reason and (outcome.reply or "") == reply.decode()


def test_business_errors_name_the_code_in_chinese() -> None:
    outcome = outcome_from_reply(200, body(result=False, errorCode="04", desc="性别为空"))
    assert "数据校验错误" in outcome.reason and "性别为空" in outcome.reason


def test_retry_after_is_kept() -> None:
    assert outcome_from_reply(503, b"", retry_after=30).retry_after == 30


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), ("0", 0.0), (None, None), ("", None), ("soon", None),
     ("Sun, 01 Mar 2026 00:01:00 GMT", 60.0), ("Sun, 01 Mar 2026 00:00:00 GMT", 0.0)],
)
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    now = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now) == seconds


def test_db_rows_have_every_column_and_typed_dates() -> None:
    spec = load_dictionary().table("emr_patient_info")
    row = db_row(spec, {"id": "p1", "birth_date": "1990-05-17",
                        "operation_time": "2026-03-01 08:30:00", "tel": ""})
    assert set(row) == {f.name for f in spec.fields}
    assert row["birth_date"].isoformat() == "1990-05-17"
    assert row["operation_time"].hour == 8 and row["tel"] is None
    with pytest.raises(ValueError):
        db_row(spec, {"id": "p1", "operation_time": "yesterday"})
