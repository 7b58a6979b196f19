"""``hisbridge upgrade`` and the refusal of every store-writing command on an older store.

The older store here is one migrated only to ``outbox_0001``, so something is always pending
whatever migrations exist by now; the 0.1.0 release store is test_upgrade_from_0_1_0.py's.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.project.example import write_example
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import (
    StoreNotCurrent,
    alembic_config,
    current_heads,
    pending,
    prepare,
)
from hisbridge.testing import secret_env

if not any(c.name == "upgrade" for c in app.registered_commands):
    _register()
runner = CliRunner()
pytestmark = pytest.mark.services


@pytest.fixture
def older(unmigrated_engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    """A store an older hisbridge made (only the first outbox revision), with its config."""
    command.upgrade(alembic_config(unmigrated_engine), "outbox_0001")
    config = tmp_path / "hisbridge.yaml"
    config.write_text(f"store:\n  url: {unmigrated_engine.url.render_as_string(False)}\n",
                      "utf-8")
    return unmigrated_engine, config


def _cli(*args: str, given: str = "") -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=given, env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_check_lists_pending_migrations_and_upgrade_applies_them(
        older: tuple[Engine, Path]) -> None:
    engine, config = older
    code, out = _cli("upgrade", "-c", str(config), "--check")
    assert code == 1
    assert "outbox_0002\toutbox\tindexes for retention" in out  # piped: TSV, one per line
    assert f"hisbridge upgrade -c {config}" in out
    code, out = _cli("upgrade", "-c", str(config), "--check", "--json")
    listed = json.loads(out)
    assert code == 1 and listed["current"] == ["outbox_0001"]
    assert {"revision": "outbox_0002", "branch": "outbox",
            "description": "indexes for retention (finished entries by age, replays pointing "
                           "back)."} in listed["pending"]
    waiting = len(listed["pending"])
    if engine.dialect.name == "postgresql":
        code, out = _cli("upgrade", "-c", str(config), given="n\n")
        assert code == 1 and "pg_dump -h 127.0.0.1 -p 5432 -U postgres -Fc -f" in out
        assert current_heads(engine) == {"outbox_0001"}  # nothing applied without the backup
        code, out = _cli("upgrade", "-c", str(config), given="y\n")
    else:
        code, out = _cli("upgrade", "-c", str(config))
        _backup_is_private_and_old(out)
    assert code == 0 and f"applied {waiting} migrations" in out and "outbox_0002 [outbox]" in out
    assert not pending(engine)
    assert _cli("upgrade", "-c", str(config), "--check") == (0, "revision\tbranch\tdescription\n"
                                                                "存储已是最新 the store is current\n")


def _backup_is_private_and_old(out: str) -> None:
    """The SQLite copy sits next to the store, 0600, and holds the store as it was."""
    line = next(x for x in out.splitlines() if x.startswith("已备份 backup: "))
    copy = Path(line.removeprefix("已备份 backup: "))
    assert copy.name.startswith("store.db.pre-upgrade-")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("outbox_0001",)]
    finally:
        conn.close()


def test_store_commands_refuse_an_older_store(older: tuple[Engine, Path]) -> None:
    engine, config = older
    for args in (["outbox", "status"], ["outbox", "dead"], ["outbox", "prune"], ["user", "list"]):
        result = runner.invoke(app, [*args, "-c", str(config)])
        assert isinstance(result.exception, StoreNotCurrent), args
        assert f"hisbridge upgrade -c {config}" in str(result.exception)
    assert current_heads(engine) == {"outbox_0001"}  # none of them migrated it


def _hisbridge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **secret_env(), "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-m", "hisbridge", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_run_and_sync_once_refuse_an_older_store_with_one_line(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{store}")
    try:
        command.upgrade(alembic_config(engine), "outbox_0001")
    finally:
        engine.dispose()
    config = write_example(tmp_path / "project", his_url=f"sqlite:///{tmp_path / 'his.db'}",
                           store_url=f"sqlite:///{store}")[0]
    for args in (["run"], ["sync", "once"]):
        done = _hisbridge(*args, "-c", str(config), cwd=tmp_path)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, done.stderr
        assert len(lines) == 1 and "存储结构需要升级" in lines[0], done.stderr
        assert f"run `hisbridge upgrade -c {config}` first" in lines[0]


def test_an_empty_store_gets_the_schema_and_the_demo_upgrades_its_own(
        unmigrated_engine: Engine, tmp_path: Path) -> None:
    prepare(unmigrated_engine)  # the first start: what `run` has always done
    assert not pending(unmigrated_engine)
    older = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        command.upgrade(alembic_config(older), "outbox_0001")
        with pytest.raises(StoreNotCurrent):
            prepare(older)
        prepare(older, upgrade_old=True)  # the demo's synthetic store (assemble upgrade_store)
        assert not pending(older)
    finally:
        older.dispose()


def test_a_store_from_a_newer_hisbridge_is_named_so(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        prepare(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'outbox_9999_future' "
                              "WHERE version_num LIKE 'outbox%'"))
        with pytest.raises(StoreNotCurrent, match="newer hisbridge"):
            prepare(engine)
    finally:
        engine.dispose()
