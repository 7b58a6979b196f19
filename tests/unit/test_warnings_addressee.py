"""Pure rules of issue 17: who may change a warning's state, deep links, ranked notices."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from hisbridge._clock import CHINA_TZ
from hisbridge.connectors.frontend.interaction_config import ClientApiSettings
from hisbridge.connectors.frontend.sso import deep_link
from hisbridge.errors import OperationRefused
from hisbridge.warnings.addressee import NotAddressee, plan_change
from hisbridge.warnings.notices import KeyLife, poll_status, user_notice

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=CHINA_TZ)
TEMPLATE = "{session_url}/report-card?patientId={patient_id}&visitId={visit_id}&cardId={card_id}"


@pytest.mark.parametrize(
    ("addressee", "actor", "department_handling", "owner"),
    [("D1", "D1", False, "D1"),      # my own warning
     (None, "D1", False, "D1"),      # a department-wide warning: my own state
     (None, "D2", False, "D2"),      # ... and my colleague's own
     ("D2", "D1", True, "D2")],      # department handling: D1 acts for D2
)
def test_who_may_change_a_warning(addressee: str | None, actor: str, department_handling: bool,
                                  owner: str) -> None:
    change = plan_change("M1", "read", addressee=addressee, actor=actor,
                         department_handling=department_handling)
    assert (change.owner, change.actor, change.action) == (owner, actor, "read")


@pytest.mark.parametrize("action", ["read", "handled"])
def test_a_colleague_cannot_change_another_doctors_warning(action: str) -> None:
    with pytest.raises(NotAddressee) as refused:
        plan_change("M1", action, addressee="D2", actor="D1", department_handling=False)
    assert isinstance(refused.value, OperationRefused)
    assert "发给了其他医生" in str(refused.value) and "another doctor" in str(refused.value)
    assert "department_handling" in refused.value.hint


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action"):
        plan_change("M1", "delete", addressee="D1", actor="D1", department_handling=False)


@pytest.mark.parametrize(
    ("template", "context", "expected"),
    [("", {"patient_id": "P1", "visit_id": "V1"}, None),
     (TEMPLATE, {"patient_id": "P1", "visit_id": "V1", "card_id": None},
      "{session_url}/report-card?patientId=P1&visitId=V1&cardId="),
     (TEMPLATE, {"patient_id": "P1", "visit_id": None, "card_id": "C1"}, None),
     (TEMPLATE, {"session_url": "http://c/s/t", "patient_id": "P 1", "visit_id": "MZ/1",
                 "card_id": "C&1"}, "http://c/s/t/report-card?patientId=P%201&visitId=MZ%2F1&cardId=C%261"),
     ("{client_base_url}/open?msg={msg_id}", {"client_base_url": "http://c:1", "msg_id": "M 1"},
      "http://c:1/open?msg=M%201")],
)
def test_deep_link(template: str, context: dict[str, str | None], expected: str | None) -> None:
    assert deep_link(template, context) == expected


@given(st.text(min_size=1), st.text(min_size=1))
def test_deep_link_values_cannot_break_out_of_their_parameter(patient: str, visit: str) -> None:
    url = deep_link(TEMPLATE, {"session_url": "http://c/s", "patient_id": patient,
                               "visit_id": visit, "card_id": ""})
    assert url is not None
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query["patientId"] == [patient] and query["visitId"] == [visit]


def test_a_template_with_an_unknown_placeholder_is_refused_at_load() -> None:
    with pytest.raises(ValidationError, match="patient_name"):
        ClientApiSettings(deep_link_template="{session_url}?name={patient_name}")
    with pytest.raises(ValidationError, match="deep_link_template"):
        ClientApiSettings(deep_link_template="{session_url")


def _status(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {"last_ok_at": NOW - timedelta(seconds=5), "failures": 0,
                                 "now": NOW, "stale_after_s": 120.0, "key": None}
    values.update(overrides)
    return poll_status(**values)  # type: ignore[arg-type]


DAY = 86_400.0


@pytest.mark.parametrize(
    ("overrides", "delayed", "kinds"),
    [({}, False, []),
     ({"failures": 1}, True, ["outage"]),
     ({"last_ok_at": None}, True, ["outage"]),
     ({"last_ok_at": NOW - timedelta(seconds=121)}, True, ["outage"]),
     ({"key": KeyLife(NOW.timestamp() + 3 * DAY, DAY)}, False, []),
     ({"key": KeyLife(NOW.timestamp() + 3600, DAY)}, False, ["key_expiring"]),
     ({"key": KeyLife(NOW.timestamp() - 1, DAY), "failures": 3}, True,
      ["outage", "key_expired"])],
)
def test_notices_are_ranked(overrides: dict[str, object], delayed: bool,
                            kinds: list[str]) -> None:
    status = _status(**overrides)
    assert status["delayed"] is delayed
    assert [n["kind"] for n in status["notices"]] == kinds  # type: ignore[attr-defined]


def test_the_user_notice_ranks_below_the_outage() -> None:
    outage = _status(failures=1)["notices"][0]  # type: ignore[index]
    (user,) = user_notice(False)
    assert outage["rank"] < user["rank"] and "base_user" in user["text"]
    assert user_notice(True) == [] and user_notice(None) == []
