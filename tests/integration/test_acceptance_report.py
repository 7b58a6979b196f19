"""The acceptance report's figures over a store filled with known records (SQLite and
PostgreSQL): every expected number is computed from the fixture's own schedule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from hisbridge._clock import CHINA_TZ
from hisbridge.connectors.frontend.warnings import FrontendMessage, MessagePage
from hisbridge.delivery.retry import Decision
from hisbridge.dictionary import Validator
from hisbridge.ops.acceptance import REALTIME_LIMIT, AcceptanceReport, Period
from hisbridge.ops.acceptance_reads import Header, gather
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.outbox import Completion, OutboxQueue
from hisbridge.testing import ManualClock, sample_record
from hisbridge.testing.targets import ok, rejected
from hisbridge.warnings.lease import PollerLease
from hisbridge.warnings.store import MessageStore
from hisbridge.web.report import render_acceptance

DAY = date(2026, 3, 2)
BAD_ID = "440106199001011230"  # wrong check digit: quarantined
# patient (real-time) -> delivery delay after the HIS save at 10:00, "dead", or None (in flight)
PATIENTS: dict[str, timedelta | str | None] = {
    "p0": timedelta(minutes=4), "p1": timedelta(minutes=5), "p2": timedelta(minutes=6),
    "p3": timedelta(minutes=30), "p4": "dead", "p5": None}
NO_CONTACTS = {"p0", "p2"}  # a recommended field left blank
# visit (T+0) -> delivery time after the HIS save at 21:00, or None
VISITS: dict[str, timedelta | None] = {"o0": timedelta(hours=2, minutes=30),
                                       "o1": timedelta(hours=3, minutes=10), "o2": None}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


def _move(clock: ManualClock, to: datetime) -> None:
    clock.advance((to - clock.now()).total_seconds())


def _deliver(queue: OutboxQueue, clock: ManualClock, items: dict[str, Any],
             plan: dict[str, datetime | str]) -> None:
    """Complete each claimed item at its planned time (in time order), or dead now."""
    for rid, when in sorted(plan.items(), key=lambda kv: str(kv[1])):
        item = items[rid]
        if when == "dead":
            outcome = rejected("04")
            decision = Decision("dead", reason=outcome.reason)
        else:
            assert isinstance(when, datetime)
            _move(clock, when)
            outcome, decision = ok(), Decision("delivered")
        queue.complete("w", "test", [Completion(item, outcome, decision, clock.now())])


def _record(table: str, rid: str, saved: datetime, **extra: Any) -> dict[str, Any]:
    return sample_record(table, rid, serial=int(re.sub(r"\D", "", rid) or 9),
                         operation_time=saved.strftime("%Y-%m-%d %H:%M:%S"), **extra)


def _fill(engine: Engine, clock: ManualClock) -> dict[str, dict[str, Any]]:
    intake = StoreIntake(engine, Validator("strict"), clock=clock)  # strict: a bad ID number is held
    queue = OutboxQueue(engine, clock=clock)
    saved = _at(DAY, 10)
    sent = {rid: _record("emr_patient_info", rid, saved,
                         contacts="" if rid in NO_CONTACTS else "联系人甲") for rid in PATIENTS}
    sent["old"] = _record("emr_patient_info", "old", saved - timedelta(days=1))
    _move(clock, saved + timedelta(seconds=20))
    intake.accept("emr_patient_info", [*sent.values(),
                                       _record("emr_patient_info", "bad", saved, id_card=BAD_ID)])
    items = {i.record_id: i for i in queue.claim("w", 100, 3600.0)}
    plan: dict[str, datetime | str] = {"old": saved + timedelta(minutes=3)}
    for rid, delay in PATIENTS.items():
        if delay is not None:
            plan[rid] = delay if isinstance(delay, str) else saved + delay
    _deliver(queue, clock, items, plan)
    visit_saved = _at(DAY, 21)
    _move(clock, visit_saved + timedelta(seconds=30))
    visits = {rid: _record("emr_outpatient_record", rid, visit_saved, patient_id="p0") for rid in VISITS}
    intake.accept("emr_outpatient_record", list(visits.values()))
    items = {i.record_id: i for i in queue.claim("w", 100, 3600.0)}
    _deliver(queue, clock, items, {rid: visit_saved + d for rid, d in VISITS.items() if d is not None})
    return {**sent, **visits}


def _warn(engine: Engine, clock: ManualClock, pages: list[list[FrontendMessage]]) -> MessageStore:
    """Store pages of warnings through the warnings package, one instant per page."""
    store = MessageStore(engine, clock)
    lease = PollerLease(engine, clock, name=store.name, holder="test", lease_s=30)
    assert lease.acquire()
    for page in pages:
        store.save_page(MessagePage(page, None), lease)
        clock.advance(1)
    return store


def _messages(start: int, count: int) -> list[FrontendMessage]:
    kinds = ("missed_report", "pathogen_positive")
    return [FrontendMessage(f"m{n}", n, kinds[n % 2], "high", f"预警 {n}", "内容", user_id="doc1")
            for n in range(start, start + count)]


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _report(engine: Engine, clock: ManualClock, last: date = DAY) -> AcceptanceReport:
    period = Period(DAY, last, CHINA_TZ, "Asia/Shanghai")
    return gather(engine, period, Header("测试医院", "440100001", "0.1.0", clock.now()))


def test_figures_over_known_records(store: Engine) -> None:
    clock = ManualClock(_at(DAY, 8))
    _move(clock, _at(DAY, 9))
    messages = _warn(store, clock, [_messages(1, 150), _messages(151, 100)])  # 250 > one read
    for n in range(1, 11):
        messages.change_state(f"m{n}", "handled" if n <= 3 else "read", user_id="doc1", dept_code=None)
    sent = _fill(store, clock)
    _move(clock, _at(DAY + timedelta(days=1), 9))
    _warn(store, clock, [_messages(400, 5)])  # the next day: outside the period
    report = _report(store, clock)

    # completeness: the store's day (no HIS here), from what the fixture accepted and delivered
    lines = {x.table: x for x in report.completeness}
    patients = lines["emr_patient_info"]
    delivered = [r for r, d in PATIENTS.items() if isinstance(d, timedelta)] + ["old"]
    assert (patients.accepted, patients.delivered) == (len(PATIENTS) + 1, len(delivered))
    assert (patients.dead, patients.in_flight) == (1, 1) and patients.his_keys is None
    visits = lines["emr_outpatient_record"]
    assert (visits.accepted, visits.delivered, visits.in_flight) == (
        len(VISITS), sum(d is not None for d in VISITS.values()), 1)

    # timeliness: real-time within 5 minutes, T+0 the same day; "old" was saved the day before
    timely = {t.table: t for t in report.timeliness}
    delays = [d for d in PATIENTS.values() if isinstance(d, timedelta)]
    assert (timely["emr_patient_info"].saved, timely["emr_patient_info"].on_time,
            timely["emr_patient_info"].late, timely["emr_patient_info"].undelivered) == (
        len(PATIENTS), sum(d <= REALTIME_LIMIT for d in delays),
        sum(d > REALTIME_LIMIT for d in delays), len(PATIENTS) - len(delays))
    same_day = [d for d in VISITS.values() if d is not None and (_at(DAY, 21) + d).date() == DAY]
    assert (timely["emr_outpatient_record"].on_time, timely["emr_outpatient_record"].late,
            timely["emr_outpatient_record"].undelivered) == (
        len(same_day), sum(d is not None for d in VISITS.values()) - len(same_day), 1)

    # rejections: the bad ID number in quarantine, the refused record as a dead letter
    assert report.rejected_by_day == {DAY: {"quarantine": 1, "dead": 1}}
    kinds = {r.kind: r for r in report.rejections}
    assert kinds["quarantine"].table == "emr_patient_info" and "身份证" in kinds["quarantine"].reason_zh
    assert BAD_ID not in str(kinds["quarantine"].examples)
    assert kinds["dead"].count == 1 and "错误码 04" in kinds["dead"].reason_zh

    # field completeness over the delivered records saved in the period
    counted = [r for r, d in PATIENTS.items() if isinstance(d, timedelta)]
    fills = {f.field: f for f in report.fields if f.table == "emr_patient_info"}
    assert report.delivered_records["emr_patient_info"] == len(counted)
    assert fills["contacts"].filled == sum(bool(sent[r]["contacts"]) for r in counted)
    assert fills["contacts"].total == len(counted) and fills["id_card"].rate == 1.0

    # warnings received that day, read / handled through the doctors' receipts
    assert report.warnings is not None and not report.warnings_capped
    (day,) = report.warnings
    assert (day.received, day.read, day.handled) == (250, 10, 3)
    assert day.by_type == {"missed_report": 125, "pathogen_positive": 125}


def test_the_page_has_every_section_and_no_patient_data(store: Engine) -> None:
    clock = ManualClock(_at(DAY, 8))
    sent = _fill(store, clock)
    html = render_acceptance(_report(store, clock))
    for section in ("header", "summary", "completeness", "timeliness", "rejections", "fields",
                    "warnings", "signatures"):
        assert f'data-section="{section}"' in html
    assert "测试医院" in html and "440100001" in html and "Asia/Shanghai" in html and "签字" in html
    assert "<script" not in html and "http" not in html.replace('http://www.w3.org/2000/svg', '')
    for record in sent.values():
        for name in ("id_card", "patient_name", "tel", "contacts", "contacts_tel", "current_addr_detail"):
            if record.get(name):
                assert str(record[name]) not in html, name
    assert BAD_ID not in html


def test_a_page_larger_than_the_reader_is_a_lower_bound(store: Engine) -> None:
    clock = ManualClock(_at(DAY, 8))
    _warn(store, clock, [_messages(1, 201)])  # one page, one instant
    report = _report(store, clock)
    assert report.warnings is not None and report.warnings_capped
    assert report.warnings[0].received == 200
