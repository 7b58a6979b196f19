"""Build ``store.sql``: a store as release 0.1.0 (git 08ad2e1) left it, with work in every state.

Run with 0.1.0's code, never this tree's (its package names and APIs are 0.1.0's):

    git worktree add /tmp/hb-0.1.0 08ad2e1
    PYTHONHASHSEED=0 PYTHONPATH=/tmp/hb-0.1.0/src python tests/data/store_0_1_0/build.py
    git worktree remove /tmp/hb-0.1.0

Synthetic data only. The clock stands still at 2026-11-30 10:00 China time and the hash seed
fixes the row order, so the file is the same on every run. What it holds is in each function's
docstring; tests/integration/test_upgrade_from_0_1_0.py expects the same ids.
"""

from __future__ import annotations  # noqa: I001 (0.1.0's package names: not in this tree)

import asyncio
import sqlite3
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from hisbridge._clock import CHINA_TZ, ManualClock
from hisbridge.connectors.frontend.interaction_config import WebhookSettings
from hisbridge.connectors.frontend.messages import FrontendMessage, MessagePage
from hisbridge.consent.model import Channel, Consent, EncounterType
from hisbridge.consent.repository import ConsentRepository
from hisbridge.delivery.outcome import Outcome
from hisbridge.delivery.retry import Decision
from hisbridge.messages.lease import PollerLease
from hisbridge.messages.store import MessageStore
from hisbridge.messages.webhook import WebhookSender
from hisbridge.spec import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.outbox import Completion, OutboxQueue
from hisbridge.testing import sample_record

HERE = Path(__file__).parent
START = datetime(2026, 11, 30, 10, 0, tzinfo=CHINA_TZ)
PATIENTS = ("P01", "P02", "P03", "P04", "P05", "P06", "P07")


def _queue(engine: object, clock: ManualClock) -> None:
    """P01-P02 delivered, P03-P04 pending, P05 in flight (its worker died), P06 waiting for a
    retry, P07 dead; visits A01 (parent P01 delivered) and A02 (parent P03 pending) pending;
    Q01 quarantined."""
    intake = StoreIntake(engine, Validator("strict"), clock=clock)  # type: ignore[arg-type]
    intake.accept("emr_patient_info", [sample_record("emr_patient_info", p, serial=i)
                                       for i, p in enumerate(PATIENTS)], source="build-0.1.0")
    queue = OutboxQueue(engine, clock=clock)  # type: ignore[arg-type]
    claimed = {item.record_id: item for item in queue.claim("old-worker", 5, 60.0)}
    later = clock.now() + timedelta(seconds=60)
    outcomes = {"P01": (Outcome.delivered(status_code=200), Decision("delivered")),
                "P02": (Outcome.delivered(status_code=200), Decision("delivered")),
                "P03": (Outcome("transient", "errorCode 01", 200, "01", "{}"),
                        Decision("retry", later, "errorCode 01"))}
    queue.complete("old-worker", "frontend", [
        Completion(claimed[rid], outcome, decision, clock.now())
        for rid, (outcome, decision) in outcomes.items()])
    # P04 is given back; P05 stays claimed: "old-worker" was killed mid-send (lease to 10:01)
    queue.release("old-worker", [claimed["P04"].outbox_id])
    clock.advance(120)
    again = {item.record_id: item for item in queue.claim("worker-2", 4, 60.0)}
    queue.release("worker-2", [again["P04"].outbox_id])  # P04 stays pending
    queue.complete("worker-2", "frontend", [
        Completion(again["P03"], Outcome.delivered(status_code=200), Decision("delivered"),
                   clock.now()),
        Completion(again["P06"], Outcome("transient", "errorCode 01", 200, "01", "{}"),
                   Decision("retry", clock.now() + timedelta(seconds=30), "errorCode 01"),
                   clock.now()),
        Completion(again["P07"], Outcome("terminal", "errorCode 04 数据校验错误", 200, "04",
                                         '{"result": false, "errorCode": "04"}'),
                   Decision("dead", None, "errorCode 04"), clock.now())])
    intake.accept("emr_activity_info", [
        sample_record("emr_activity_info", "A01", parent_id="P01", serial=11),
        sample_record("emr_activity_info", "A02", parent_id="P04", serial=12)],
        source="build-0.1.0")
    intake.accept("emr_patient_info", [{"id": "Q01", "patient_name": "测试"}],
                  source="build-0.1.0")


def _warnings(engine: object, clock: ManualClock) -> None:
    """Three warning messages, each with its webhook delivery (one waiting for a retry), and
    D001's read receipt."""
    store = MessageStore(engine, clock)  # type: ignore[arg-type]
    store.webhook_enabled = True
    lease = PollerLease(engine, clock, name=store.name, holder="node-1",  # type: ignore[arg-type]
                        lease_s=30.0)
    assert lease.acquire()
    page = [FrontendMessage(f"M{n:06d}", n, "传染病漏报提醒", "高", "疑似漏报：肺结核",
                            "患者诊断肺结核，尚未填报传染病报告卡", patient_id="P01",
                            org_code="440100001", dept_code="A03", user_id="D001",
                            create_time="2026-11-30 09:5{n}:00", raw={"msgId": f"M{n:06d}"})
            for n in (1, 2, 3)]
    store.save_page(MessagePage(page, "c3"), lease)
    store.change_state("M000001", "read", user_id="D001", dept_code="A03")

    async def fail_once() -> None:
        answers = iter([500])
        transport = httpx.MockTransport(lambda r: httpx.Response(next(answers, 200)))
        async with httpx.AsyncClient(transport=transport) as http:
            sender = WebhookSender(engine, http, WebhookSettings(url="http://his.invalid/hook"),
                                   clock)  # type: ignore[arg-type]
            await sender.send_due(limit=1)

    asyncio.run(fail_once())


def _consents(engine: object, clock: ManualClock) -> None:
    """C-GRANTED (valid a year) and C-PENDING (an SMS request waiting for the patient)."""
    repo = ConsentRepository(engine, "440100001")  # type: ignore[arg-type]
    now = clock.now()
    repo.insert(Consent("C-GRANTED", "P01", "张*", EncounterType.INPATIENT, "ZY01", Channel.APP,
                        "GRANTED", now, auth_id="AUTH-1", granted_at=now, valid_from=now,
                        valid_to=now + timedelta(days=365), updated_at=now))
    repo.insert(Consent("C-PENDING", "P02", "李*", EncounterType.OUTPATIENT, "MZ02",
                        Channel.SMS, "PENDING", now, request_expires_at=now + timedelta(days=1),
                        updated_at=now))


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        clock = ManualClock(START)
        _queue(engine, clock)
        _warnings(engine, clock)
        _consents(engine, clock)
        engine.dispose()
        conn = sqlite3.connect(path)
        lines = list(conn.iterdump())
        conn.close()
    header = ["-- A store written by hisbridge 0.1.0 (git 08ad2e1) through its own APIs: queued,",
              "-- in-flight, retrying, dead and quarantined records, warnings with webhook",
              "-- deliveries, consents. Synthetic data. Made by build.py (sqlite3 iterdump)."]
    out.write_text("\n".join(header + lines) + "\n", "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "store.sql")
