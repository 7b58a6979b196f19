"""HIS encounter and booking events with naive, zoned and malformed times.

Chinese HIS systems send times without a zone (``2026-11-25T03:49:45``): they are read in
``his.timezone``. A malformed time is refused with 422 naming the field, and no event ever
leaves part of itself behind: after a refused event the store is exactly as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hisbridge._clock import CHINA_TZ, ManualClock, parse_local
from hisbridge.mapping.config import HisSettings
from hisbridge.store.schema.consent import gd_consent, gd_encounter
from hisbridge.testing.gdhealth_rig import GdHealthRig, build_rig

NAIVE = "2026-11-25T03:49:45"
MALFORMED = ["20261125", 20261125, "2026-13-01 00:00:00", "2026-11-25T25:00:00", "yesterday",
             "2026-11-25T03:49:45+8", ""]


def _rig(tmp_path: Path, name: str = "gw.db", **windows: int) -> GdHealthRig:
    clock = ManualClock(datetime(2026, 11, 20, 9, 0, tzinfo=CHINA_TZ))
    return build_rig(f"sqlite:///{tmp_path / name}", clock=clock, auto_apply_at_admission=True,
                     windows={"inpatient_grace_days": 7, **windows})


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GdHealthRig]:
    built = _rig(tmp_path)
    yield built
    await built.aclose()


def _state(rig: GdHealthRig) -> list[list[tuple[Any, ...]]]:
    with rig.engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in (gd_encounter, gd_consent)]


def _patient(rig: GdHealthRig, n: int) -> dict[str, str]:
    person = rig.resident(n)
    return {"hisPatientId": f"P{n}", "idNo": person.id_no, "name": person.name}


async def _admit_and_grant(rig: GdHealthRig, encounter_id: str = "ZY1") -> dict[str, Any]:
    event = {"event": "ADMITTED", "patient": _patient(rig, 1),
             "encounter": {"type": "inpatient", "id": encounter_id,
                           "admittedAt": "2026-11-20T08:00:00+08:00"}}
    consent = (await rig.gateway.post("/api/v1/encounters", json=event)).json()["consent"]
    rig.platform.patient_decides(consent["authId"], "approve")
    await rig.sim.post("/sim/tick")
    assert (await rig.gateway.get(f"/api/v1/consents/{consent['id']}")).json()["status"] == "GRANTED"
    return event


async def test_naive_discharge_time_is_read_in_the_his_zone_not_a_500(rig: GdHealthRig) -> None:
    event = await _admit_and_grant(rig)
    out = {**event, "event": "DISCHARGED",
           "encounter": {**event["encounter"], "dischargedAt": NAIVE}}
    reply = await rig.gateway.post("/api/v1/encounters", json=out)
    assert reply.status_code == 202, reply.text
    assert reply.json()["consent"]["validTo"].startswith("2026-12-02T03:49:45")  # + 7 days
    with rig.engine.connect() as conn:
        row = conn.execute(select(gd_encounter.c.state, gd_encounter.c.discharged_at)).one()
    assert row.state == "CLOSED"
    assert row.discharged_at == datetime(2026, 11, 24, 19, 49, 45, tzinfo=UTC)


async def test_a_his_in_utc_means_naive_times_are_utc(rig: GdHealthRig) -> None:
    rig.gateway_app.state.settings = rig.settings.model_copy(
        update={"his": HisSettings(timezone="UTC")})
    event = await _admit_and_grant(rig)
    out = {**event, "event": "DISCHARGED",
           "encounter": {**event["encounter"], "dischargedAt": NAIVE}}
    assert (await rig.gateway.post("/api/v1/encounters", json=out)).status_code == 202
    with rig.engine.connect() as conn:
        at = conn.execute(select(gd_encounter.c.discharged_at)).scalar_one()
    assert at == datetime(2026, 11, 25, 3, 49, 45, tzinfo=UTC)


@pytest.mark.parametrize("bad", MALFORMED)
async def test_a_malformed_time_is_a_422_naming_the_field_and_writes_nothing(
        rig: GdHealthRig, bad: object) -> None:
    event = await _admit_and_grant(rig)
    before = _state(rig)
    out = {**event, "event": "DISCHARGED", "encounter": {**event["encounter"], "dischargedAt": bad}}
    reply = await rig.gateway.post("/api/v1/encounters", json=out)
    assert reply.status_code == 422, reply.text
    where = [p["where"] for p in reply.json()["problems"]]
    assert "body.encounter.dischargedAt" in where
    assert _state(rig) == before


# ---- every event, every kind of time: no 500, no partial state -------------------------

_TIMES = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31))
    .map(lambda d: d.replace(microsecond=0).isoformat()),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                 timezones=st.sampled_from([UTC, CHINA_TZ]))
    .map(lambda d: d.replace(microsecond=0).isoformat()),
    st.sampled_from(MALFORMED),
)
_IDS = st.sampled_from(["1", "2", "9"])


@st.composite
def _events(draw: st.DrawFn) -> tuple[str, dict[str, Any], str | None]:
    """(path, body, the time field) of one HIS event."""
    kind = draw(st.sampled_from(["REGISTERED", "ADMITTED", "DISCHARGED", "BOOKED", "CANCELLED"]))
    when, n = draw(_TIMES), draw(_IDS)
    if kind in ("BOOKED", "CANCELLED"):
        body = {"bookingId": f"BK{n}", "status": "BOOKED" if kind == "BOOKED" else "CANCELLED",
                "visitDate": "2026-11-26", "slotStart": when}
        if kind == "BOOKED":
            body["patient"] = {"hisPatientId": f"P{n}", "idNo": "", "name": "x"}
        return "/api/v1/bookings", body, "slotStart"
    typ, field = {"REGISTERED": ("outpatient", "admittedAt"), "ADMITTED": ("inpatient", "admittedAt"),
                  "DISCHARGED": ("inpatient", "dischargedAt")}[kind]
    body = {"event": kind, "patient": {"hisPatientId": f"P{n}", "idNo": "", "name": "x"},
            "encounter": {"type": typ, "id": f"{'MZ' if typ == 'outpatient' else 'ZY'}{n}",
                          "visitDate": "2026-11-20", field: when}}
    return "/api/v1/encounters", body, field


# a valid ID number of nobody the platform knows: it refuses to apply for them
STRANGER = {"hisPatientId": "P9", "idNo": "11010519491231002X", "name": "某某"}


def _with_identity(rig: GdHealthRig, body: dict[str, Any]) -> dict[str, Any]:
    if "patient" in body:
        n = int(body["patient"]["hisPatientId"][1:])
        body = {**body, "patient": STRANGER if n == 9 else _patient(rig, n)}
    return body


_COLUMNS = {"admittedAt": "admitted_at", "dischargedAt": "discharged_at", "slotStart": "slot_start"}


def _stored_time(rig: GdHealthRig, body: dict[str, Any], field: str | None) -> Any:
    """The time the store kept for the event's encounter (UTC)."""
    encounter = body.get("encounter") or {"type": "booking", "id": body["bookingId"]}
    with rig.engine.connect() as conn:
        return conn.execute(select(gd_encounter.c[_COLUMNS[str(field)]]).where(
            gd_encounter.c.encounter_type == encounter["type"].upper(),
            gd_encounter.c.encounter_id == encounter["id"])).scalar_one()


async def _one_event(rig: GdHealthRig, path: str, body: dict[str, Any], field: str | None) -> None:
    before = _state(rig)
    reply = await rig.gateway.post(path, json=_with_identity(rig, body))
    assert reply.status_code < 500, reply.text
    if reply.status_code >= 400:
        assert _state(rig) == before, f"{reply.status_code} {reply.text} left a partial write"
    when = (body.get("encounter") or body).get(field)
    if when in MALFORMED:
        assert reply.status_code == 422 and field in reply.text
    elif reply.status_code < 300 and body.get("status") != "CANCELLED":
        assert _stored_time(rig, body, field) == parse_local(when, CHINA_TZ).astimezone(UTC)
    consent = reply.json().get("consent") if reply.status_code < 300 else None
    if consent and consent["status"] == "PENDING" and body.get("event") == "ADMITTED":
        rig.platform.patient_decides(consent["authId"], "approve")  # so discharges narrow grants
        await rig.sim.post("/sim/tick")


def test_any_event_with_any_time_never_answers_500_nor_writes_half(tmp_path: Path) -> None:
    loop = asyncio.new_event_loop()
    rig = _rig(tmp_path, "prop.db")

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(_events(), min_size=1, max_size=6))
    def check(events: list[tuple[str, dict[str, Any], str | None]]) -> None:
        for path, body, field in events:
            loop.run_until_complete(_one_event(rig, path, body, field))
        rig.clock.advance(minutes=1)  # type: ignore[attr-defined]

    try:
        check()
    finally:
        loop.run_until_complete(rig.aclose())
        loop.close()


def test_strategy_makes_all_kinds(tmp_path: Path) -> None:
    """The property above sees naive, zoned and malformed times of every event kind."""
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=300, deadline=None)
    @given(_events())
    def collect(event: tuple[str, dict[str, Any], str | None]) -> None:
        _, body, field = event
        when = (body.get("encounter") or body).get(field)
        shape = ("malformed" if when in MALFORMED else
                 "zoned" if str(when)[-6] in "+-" else "naive")
        seen.add((body.get("event") or body["status"], shape))

    collect()
    assert len(seen) >= 12


@pytest.mark.parametrize("path", ["/api/v1/bookings", "/api/v1/consents"])
async def test_a_request_the_platform_refuses_leaves_no_encounter_behind(
        rig: GdHealthRig, path: str) -> None:
    before = _state(rig)
    body: dict[str, Any] = (
        {"bookingId": "BK9", "patient": STRANGER, "slotStart": "2026-11-26 09:00:00"}
        if path.endswith("bookings") else
        {"patient": STRANGER, "channel": "APP", "operator": {"userId": "D1"},
         "encounter": {"type": "outpatient", "id": "MZ9", "admittedAt": NAIVE}})
    reply = await rig.gateway.post(path, json=body)
    assert reply.status_code == 422 and reply.json()["platformCode"] == "2001"
    assert _state(rig) == before
