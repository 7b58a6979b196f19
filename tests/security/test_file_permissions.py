"""Private files (issue 14, item 2): under umask 022 the store (with -wal/-shm), the simulators'
stores, generated configs and key files are 0600 in 0700 folders; ``check`` warns about a
config or store that others can read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from cli_run import hisbridge_cli
from sqlalchemy import text

from hisbridge.demo.run import DemoPorts, _write_project
from hisbridge.project.example import write_example
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone unless we say otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "store"
    engine = make_engine(f"sqlite:///{folder / 'hisbridge.db'}")
    upgrade(engine)
    with engine.begin() as conn:  # keep a connection open so -wal and -shm exist
        conn.execute(text("SELECT 1"))
        files = [folder / name for name in ("hisbridge.db", "hisbridge.db-wal", "hisbridge.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    engine.dispose()
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700


def test_the_frontend_simulators_store_is_private(tmp_path: Path) -> None:
    store = tmp_path / "sim" / "frontend.db"
    app = create_frontend_app(FrontendSimConfig(), store_url=f"sqlite:///{store}")
    assert mode(store) == 0o600 and mode(store.parent) == 0o700
    app.state.sim.store.close()


def test_init_writes_the_config_0600_in_a_0700_folder(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "project"
    config = write_example(folder)[0]
    assert mode(config) == 0o600 and mode(folder) == 0o700 and mode(folder.parent) == 0o700


def test_the_demo_config_is_private(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    data.mkdir(mode=0o700)
    config = _write_project(data, DemoPorts(), datetime(2026, 3, 2))
    assert mode(config) == 0o600 and mode(config.parent) == 0o700


def test_secrets_new_writes_a_private_key_file(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    # the child inherits umask 022
    done = hisbridge_cli("secrets", "new", "web.secret_key", "--secrets-dir", str(folder))
    assert done.returncode == 0, done.stderr
    key = folder / "web__secret_key"
    assert mode(key) == 0o600 and mode(folder) == 0o700 and len(key.read_text()) >= 32


def test_check_warns_about_a_config_and_store_readable_by_others(tmp_path: Path) -> None:
    config = write_example(tmp_path / "p", frontend_url="http://127.0.0.1:9")[0]
    store = tmp_path / "p" / "hisbridge-data" / "hisbridge.db"
    make_engine(f"sqlite:///{store}").dispose()
    config.chmod(0o644)
    store.chmod(0o644)
    done = hisbridge_cli("check", "-c", str(config), "--limit", "1")
    warned = [line for line in done.stdout.splitlines() if "readable by others" in line]
    assert any(str(config) in line for line in warned), done.stdout
    assert any(str(store) in line for line in warned), done.stdout
    config.chmod(0o600)
    store.chmod(0o600)
    quiet = hisbridge_cli("check", "-c", str(config), "--limit", "1")
    assert "readable by others" not in quiet.stdout
