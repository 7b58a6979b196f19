"""Pure rules of the console: lock-out, access, cool-down, alert rules, masking, forms, i18n."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from hisbridge.ops.access import AccessPolicy, classify
from hisbridge.ops.alerts.cooldown import OpenAlert, plan
from hisbridge.ops.alerts.rules import Snapshot, TargetHealth, Thresholds, evaluate
from hisbridge.ops.chart import throughput_svg
from hisbridge.ops.config import MASK, masked_settings
from hisbridge.ops.dashboard import HourBar
from hisbridge.ops.i18n import STRINGS, pick_lang, translator
from hisbridge.ops.lockout import LockoutPolicy, locked_until
from hisbridge.ops.passwords import password_problems
from hisbridge.ops.roles import PERMISSIONS, allowed
from hisbridge.settings import Settings
from hisbridge.web.console.forms import Checked
from hisbridge.web.console.guard import safe_next

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _at(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


@pytest.mark.parametrize(("failures", "expected"), [
    ([], None),
    (_at(0, 1, 2, 3), None),                          # four failures: not yet
    (_at(0, 1, 2, 3, 4), T0 + timedelta(minutes=19)),  # fifth within the window: locked 15 min
    (_at(0, 1, 2, 3, 20), None),                      # spread over 20 minutes: not locked
    (_at(0, 10, 11, 12, 13, 14), T0 + timedelta(minutes=29)),  # the last five count
])
def test_lockout(failures: list[datetime], expected: datetime | None) -> None:
    assert locked_until(failures, LockoutPolicy()) == expected


POLICY = AccessPolicy()


@pytest.mark.parametrize(("path", "access"), [
    ("/healthz", "open"), ("/readyz", "open"), ("/metrics", "metrics"), ("/ws/warnings", "open"),
    ("/ws", "open"),
    ("/console/login", "open"), ("/console/static/console.css", "open"),
    ("/api/v1/events/emr_patient_info", "open"), ("/api/v1/events", "open"),
    ("/api/v1/eventsX", "api"), ("/api/v1/warnings", "signed"), ("/api/v1/warnings/stream", "signed"),
    ("/api/v1/sso/launch", "signed"), ("/api/v1/outbox/status", "hospital"), ("/api/v1/outboxes", "api"),
    ("/openapi.json", "api"),
    ("/docs", "api"), ("/api/v1/consents", "hospital"), ("/api/v1/consents/callback", "open"),
    ("/api/v1/shared/c1/index", "hospital"), ("/api/v1/bookings", "hospital"),
    ("/console/", "page"), ("/console", "page"), ("/console/loginx", "page"),
    ("/", "page"), ("/healthz/x", "api"), ("/readyz/x", "api"), ("/wsx", "api"), ("/nothing", "api"),
])
def test_access_classification(path: str, access: str) -> None:
    assert classify(path, POLICY) == access


@pytest.mark.parametrize(("target", "expected"), [
    ("/console/dead?table=x", "/console/dead?table=x"), ("//evil.example/", "/console/"),
    ("https://evil.example/", "/console/"), ("/\\evil", "/console/"), ("", "/console/"),
    (None, "/console/"), ("/console/\n", "/console/"),
])
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_roles_table() -> None:
    assert all(allowed("admin", p) for p in PERMISSIONS)
    assert allowed("operator", "replay") and not allowed("auditor", "replay")
    assert allowed("auditor", "view_audit") and not allowed("operator", "view_audit")
    assert not allowed("operator", "manage_users") and not allowed("nobody", "view_dashboard")


def _alert_snapshot(**kw: object) -> Snapshot:
    return Snapshot(at=T0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("snapshot", "rules"), [
    (_alert_snapshot(), []),
    (_alert_snapshot(dead_recent={"emr_order": 10, "emr_ex_lab": 9}), [("dead_growth", "emr_order")]),
    (_alert_snapshot(oldest_pending_s={"emr_order": 1801.0, "emr_ex_lab": 1800.0}),
     [("pending_old", "emr_order")]),
    (_alert_snapshot(sources_last_poll={"his": T0 - timedelta(minutes=31), "lis": T0, "pacs": None}),
     [("source_idle", "his"), ("source_idle", "pacs")]),
    (_alert_snapshot(targets={"frontend": TargetHealth(None, T0, False),
                              "db": TargetHealth(T0, T0, True)}), [("target_unreachable", "frontend")]),
    (_alert_snapshot(key_expires_at=T0 + timedelta(hours=23)), [("key_expiring", "frontend")]),
    (_alert_snapshot(key_expires_at=T0 - timedelta(hours=1)), [("key_expiring", "frontend")]),
    (_alert_snapshot(key_expires_at=T0 + timedelta(hours=25)), []),
])
def test_alert_rules(snapshot: Snapshot, rules: list[tuple[str, str]]) -> None:
    assert [a.key for a in evaluate(snapshot, Thresholds())] == rules


def test_cooldown_plan() -> None:
    th = Thresholds()
    firing = evaluate(_alert_snapshot(dead_recent={"a": 20, "b": 20, "c": 20}), th)
    known = {("dead_growth", "b"): OpenAlert("dead_growth", "b", T0 - timedelta(minutes=10)),
             ("dead_growth", "c"): OpenAlert("dead_growth", "c", T0 - timedelta(minutes=31)),
             ("pending_old", "z"): OpenAlert("pending_old", "z", T0)}
    decided = plan(firing + firing, known, T0, timedelta(minutes=30))
    assert [a.subject for a in decided.new] == ["a"]
    assert [a.subject for a in decided.remind] == ["c"]
    assert [a.subject for a in decided.quiet] == ["b"]
    assert [o.subject for o in decided.resolved] == ["z"]
    assert [a.subject for a in decided.to_send] == ["a", "c"]


def test_cooldown_never_sent_is_retried() -> None:
    firing = evaluate(_alert_snapshot(dead_recent={"a": 20}), Thresholds())
    known = {("dead_growth", "a"): OpenAlert("dead_growth", "a", None)}
    decided = plan(firing, known, T0, timedelta(hours=1))
    assert [a.subject for a in decided.remind] == ["a"]


def test_masked_settings_hide_every_secret() -> None:
    settings = Settings(frontend={"license": "LIC-123", "db_url": "postgresql://u:pw@h/db"},
                        push={"token": "push-secret"}, web={"secret_key": "sk"},
                        console={"api_token": "api-secret", "alerts": {"webhook_secret": "wh"}})
    shown = masked_settings(settings)
    text = repr(shown)
    for secret in ("LIC-123", "push-secret", "api-secret", "wh'", ":pw@", "'sk'"):
        assert secret not in text
    assert shown["frontend"]["license"] == MASK and shown["web"]["secret_key"] == MASK
    assert shown["frontend"]["db_url"] == f"postgresql://u:{MASK}@h/db"
    assert shown["frontend"]["key_style"] == "camel"
    assert masked_settings(Settings(web={"secret_key": SecretStr("x")}))["web"]["secret_key"] == MASK


@pytest.mark.parametrize(("password", "ok"), [
    ("short", False), ("aaaaaaaaaaaa", False), ("admin1-password", False), (" spaced-pass-1 ", False),
    ("correct-horse-9", True),
])
def test_password_policy(password: str, ok: bool) -> None:
    assert (password_problems(password, "admin1") == []) is ok


def test_i18n() -> None:
    assert translator("zh")("nav.dead") == "死信" and translator("en")("nav.dead") == "Dead letters"
    assert translator("en")("no.such.key") == "no.such.key"
    assert translator("zh")("dead.confirm", n=3) == "确认重发 3 条死信？"
    assert pick_lang("en", "zh", "zh") == "en" and pick_lang("xx", None, "en") == "en"
    assert pick_lang(None, "zh", "en") == "zh"
    assert all(zh and en for zh, en in STRINGS.values())


def test_chart_scales_and_labels() -> None:
    hours = [HourBar(T0 + timedelta(hours=i), i * 3, i % 2) for i in range(24)]
    svg = throughput_svg(hours, "24h <x>")
    assert svg.startswith("<svg") and svg.count("<rect") == 48 and "&lt;x&gt;" in svg
    assert ">100</text>" in svg  # peak 70: axis max 100


@given(st.dictionaries(st.sampled_from(["table", "from", "to", "n", "q", "state"]), st.text(max_size=40)))
def test_checked_never_raises(values: dict[str, str]) -> None:
    q = Checked(values)
    q.choice("table", "表", ["emr_order"])
    q.moment("from", "起")
    q.day("to", "止")
    q.integer("n", "数", 1, 10)
    q.text("q", "词")
    q.choice("state", "状态", ["dead"])
    assert all(isinstance(p, str) and p for p in q.problems)


@pytest.mark.parametrize(("value", "ok"), [
    ("2026-03-01", True), ("2026-03-01T08:30", True), ("2026-02-30", False), ("yesterday", False),
    ("2026-03-01T25:00", False), ("9999-99-99", False),
])
def test_checked_moments(value: str, ok: bool) -> None:
    q = Checked({"from": value})
    assert (q.moment("from", "起") is not None) is ok
    assert bool(q.problems) is not ok
