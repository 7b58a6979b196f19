"""A store left by release 0.1.0 goes through ``hisbridge upgrade`` and loses nothing.

``tests/data/store_0_1_0/store.sql`` was written by 0.1.0's own code (its ``build.py``): pending,
in-flight (the worker died mid-send), retrying, dead and quarantined records, warnings with
their webhook deliveries, consents. On SQLite the dump is the store; on PostgreSQL the same rows
go into a store migrated to 0.1.0's revisions. After ``hisbridge upgrade`` (to whatever the
heads are now) everything queued reaches the front-end receiver exactly once, the dead stay dead
until replayed, and the rest reads back through the product's own APIs.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, select, text
from typer.testing import CliRunner

from hisbridge._clock import system_clock
from hisbridge.cli import _register, app
from hisbridge.connectors.frontend.interaction_config import WebhookSettings
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import load_settings
from hisbridge.sharing.consent.repository import ConsentRepository
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import alembic_config, pending
from hisbridge.store.queries import ReplayFilter, dead_entries, outbox_status, replay
from hisbridge.testing import ReceiverState, serve_receiver
from hisbridge.warnings.store import MessageStore
from hisbridge.warnings.webhook import WebhookSender

if not any(c.name == "upgrade" for c in app.registered_commands):
    _register()
runner = CliRunner()
pytestmark = pytest.mark.services

DUMP = Path(__file__).parents[1] / "data" / "store_0_1_0" / "store.sql"
# Every revision release 0.1.0 shipped (git show 08ad2e1:src/hisbridge/store/migrations/versions/).
RELEASE_0_1_0 = frozenset({
    "audit_0001", "consent_0001", "consent_0002_h17b", "consent_0002_htime", "console_0001",
    "console_0002_h14b", "messages_0001", "messages_0002_h17a", "messages_0002_htime",
    "outbox_0001", "outbox_0002", "outbox_0003_h15b", "sources_0001", "sources_0002",
    "sources_0003_h15a", "sources_0003_h15b", "sources_0003_htime"})
QUEUED = ["P04", "P05", "P06", "A01", "A02"]  # pending, in flight, retry_wait, two children


def _dump_into_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript(DUMP.read_text("utf-8"))
    finally:
        conn.close()


def _utc(value: Any) -> Any:
    """SQLite's naive UTC text, read back as datetimes, as the instants they are."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and not value.tzinfo else value


def _dump_into_postgres(url: str, folder: Path) -> None:
    """0.1.0's revisions, then the dump's rows, table by table (reflected: no names assumed)."""
    _dump_into_sqlite(folder / "rows.db")
    source, target = create_engine(f"sqlite:///{folder / 'rows.db'}"), make_engine(url)
    try:
        with source.connect() as conn:
            heads = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
        for head in heads:
            command.upgrade(alembic_config(target), head)
        old, new = MetaData(), MetaData()
        old.reflect(source)
        new.reflect(target)
        with source.connect() as src, target.begin() as dst:
            for table in new.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = [{k: _utc(v) for k, v in row._mapping.items()}
                        for row in src.execute(select(old.tables[table.name]))]
                if rows:
                    dst.execute(table.insert(), rows)
                _serial_after_copied_ids(dst, table.name)
    finally:
        source.dispose()
        target.dispose()


def _serial_after_copied_ids(conn: Any, table: str) -> None:
    sequence = conn.execute(text(f"SELECT pg_get_serial_sequence('{table}', 'id')")).scalar() \
        if conn.execute(text("SELECT 1 FROM information_schema.columns WHERE table_name = :t "
                             "AND column_name = 'id'"), {"t": table}).first() else None
    if sequence:
        conn.execute(text(f"SELECT setval('{sequence}', (SELECT max(id) FROM {table}))"
                          f" WHERE EXISTS (SELECT 1 FROM {table})"))


@pytest.fixture
def old_store(store_url: str, tmp_path: Path) -> Iterator[tuple[Path, ReceiverState]]:
    """A 0.1.0 store and a config that delivers to a front-end receiver."""
    if store_url.startswith("sqlite"):
        _dump_into_sqlite(tmp_path / "store.db")
    else:
        _dump_into_postgres(store_url, tmp_path)
    state = ReceiverState()
    with serve_receiver(state) as url:
        config = tmp_path / "hisbridge.yaml"
        config.write_text(f"store:\n  url: {store_url}\nfrontend:\n  base_url: {url}\n", "utf-8")
        yield config, state


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def _deliver(engine: Engine, config: Path) -> None:
    async def until_idle() -> None:
        service = DeliveryService.from_settings(load_settings(config), engine)
        try:
            assert await service.run_until_idle(60)
        finally:
            await service.stop()

    asyncio.run(until_idle())


def _expected_pending(engine: Engine) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(engine))
    return sorted({rev.revision for rev in script.walk_revisions()} - RELEASE_0_1_0)


def _upgrade(config: Path, engine: Engine) -> None:
    """``upgrade --check`` lists what 0.1.0 lacks; ``upgrade`` applies it; then it is current."""
    code, out = _cli("upgrade", "-c", str(config), "--check", "--json")
    listed = json.loads(out)
    assert sorted(m["revision"] for m in listed["pending"]) == _expected_pending(engine)
    assert code == (1 if listed["pending"] else 0)
    code, out = _cli("upgrade", "-c", str(config), "--yes", "--json")
    assert code == 0
    assert sorted(m["revision"] for m in json.loads(out)["applied"]) == _expected_pending(engine)
    assert not pending(engine)


def test_a_0_1_0_store_upgrades_and_delivers_everything_once(
        old_store: tuple[Path, ReceiverState]) -> None:
    config, receiver = old_store
    engine = make_engine(load_settings(config).store.url)
    try:
        _upgrade(config, engine)
        _deliver(engine, config)
        delivered = receiver.delivered_ids()
        assert Counter(delivered) == Counter(QUEUED)  # P01-P03 were delivered by 0.1.0
        assert delivered.index("P04") < delivered.index("A02")  # parents first, still
        assert [d.record_id for d in dead_entries(engine)] == ["P07"]
        assert outbox_status(engine, system_clock.now()).quarantined == {"emr_patient_info": 1}
        done = replay(engine, ReplayFilter("emr_patient_info", "dead"), system_clock.now())
        assert done.replayed == 1
        _deliver(engine, config)
        assert Counter(receiver.delivered_ids()) == Counter([*QUEUED, "P07"])
        _kept_the_rest(engine)
    finally:
        engine.dispose()


def _kept_the_rest(engine: Engine) -> None:
    """Consents, warnings with their read receipt, and each webhook delivery sent once."""
    consents = ConsentRepository(engine, "440100001")
    assert consents.get("C-GRANTED").status == "GRANTED"  # type: ignore[union-attr]
    assert consents.get("C-PENDING").status == "PENDING"  # type: ignore[union-attr]
    store = MessageStore(engine, system_clock)
    assert [m["id"] for m in store.after(0)] == ["M000001", "M000002", "M000003"]
    unread = store.find(user_id="D001", dept_code="A03", unread=True)
    assert [m["id"] for m in unread] == ["M000002", "M000003"]
    assert Counter(asyncio.run(_webhook_posts(engine))) == Counter(
        ["M000001", "M000002", "M000003"])


async def _webhook_posts(engine: Engine) -> list[str]:
    posted: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append(request.headers["X-HisBridge-Message-Id"])
        return httpx.Response(200)

    settings = WebhookSettings(url="http://his.invalid/hook")
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        sender = WebhookSender(engine, http, settings, system_clock)
        while await sender.send_due():
            pass
    return posted
