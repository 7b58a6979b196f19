"""Real processes: two gateways sharing one PostgreSQL store, and a gateway killed with SIGKILL.

Each gateway is ``hisbridge run -c FILE --port N`` as a user starts it; the receiver is the
protocol-shaped test receiver on a loopback port, counting every request it gets.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

import hisbridge
from hisbridge.dictionary import Validator
from hisbridge.store.engine import make_engine
from hisbridge.store.intake import StoreIntake
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.outbox import attempts, outbox
from hisbridge.testing import ReceiverState, sample_record, secret_env, serve_receiver

pytestmark = [pytest.mark.services, pytest.mark.slow]
SRC = str(Path(hisbridge.__file__).resolve().parents[1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, store_url: str, receiver_url: str, *, lease_s: float = 120) -> Path:
    path.write_text(
        f"store:\n  url: {store_url}\n"
        f"frontend:\n  base_url: {receiver_url}\n  concurrency: 8\n"
        f"delivery:\n  batch_size: 100\n  lease_s: {lease_s}\n  retry_base_s: 0.5\n"
        "push:\n  token: e2e-token\n", "utf-8")
    return path


def start_gateway(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **secret_env(), "PYTHONPATH": SRC}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c", str(config),
                                 "--port", str(free_port())], stdout=out, stderr=out, env=env)


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def accept_patients(engine: Engine, n: int) -> None:
    intake = StoreIntake(engine, Validator("lenient"))
    for start in range(0, n, 2000):
        rows = [sample_record("emr_patient_info", f"p{i}", serial=i)
                for i in range(start, min(n, start + 2000))]
        assert intake.accept("emr_patient_info", rows, source="e2e").accepted == len(rows)


def delivered(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)
                                .where(outbox.c.state == "delivered")).scalar_one())


@pytest.fixture
def receiver() -> Iterator[tuple[ReceiverState, str]]:
    state = ReceiverState()
    with serve_receiver(state) as url:
        yield state, url


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_two_gateways_on_one_postgres_store_deliver_each_record_once(
        pg_url: str, tmp_path: Path, receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    engine = make_engine(pg_url)
    upgrade(engine)
    total = 20_000
    accept_patients(engine, total)
    config = write_config(tmp_path / "gw.yaml", pg_url, url)
    gateways = [start_gateway(config, tmp_path / f"gw{n}.log") for n in range(2)]
    try:
        assert wait_for(lambda: delivered(engine) == total, 240), \
            (tmp_path / "gw0.log").read_text()[-2000:]
    finally:
        for gateway in gateways:
            stop(gateway)
    counts = Counter(state.delivered_ids())
    assert len(counts) == total
    assert [k for k, n in counts.items() if n > 1] == []
    with engine.connect() as conn:
        workers = conn.execute(select(attempts.c.worker, func.count())
                               .group_by(attempts.c.worker)).all()
    assert len(workers) == 2 and all(n > 0 for _, n in workers)
    engine.dispose()


def test_a_gateway_killed_mid_run_loses_nothing_after_restart(
        tmp_path: Path, receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    state.latency_s = 0.005
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(store_url)
    upgrade(engine)
    total = 3_000
    accept_patients(engine, total)
    config = write_config(tmp_path / "gw.yaml", store_url, url, lease_s=3)
    first = start_gateway(config, tmp_path / "first.log")
    try:
        assert wait_for(lambda: state.count >= 300, 60), (tmp_path / "first.log").read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert delivered(engine) < total
    second = start_gateway(config, tmp_path / "second.log")
    try:
        assert wait_for(lambda: delivered(engine) == total, 120), \
            (tmp_path / "second.log").read_text()[-2000:]
    finally:
        stop(second)
    assert set(state.delivered_ids()) == {f"p{i}" for i in range(total)}
    with engine.connect() as conn:
        left = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
    assert [tuple(r) for r in left] == [("delivered", total)]
    engine.dispose()


def test_sigterm_lets_sends_finish_and_leaves_the_rest_pending(
        tmp_path: Path, receiver: tuple[ReceiverState, str]) -> None:
    state, url = receiver
    state.latency_s = 0.05
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(store_url)
    upgrade(engine)
    total = 2_000
    accept_patients(engine, total)
    gateway = start_gateway(write_config(tmp_path / "gw.yaml", store_url, url),
                            tmp_path / "gw.log")
    assert wait_for(lambda: state.count >= 100, 60), (tmp_path / "gw.log").read_text()
    stop(gateway)
    log = (tmp_path / "gw.log").read_text()
    assert "Application shutdown complete" in log, log[-2000:]
    with engine.connect() as conn:
        states = dict(conn.execute(select(outbox.c.state, func.count())
                                   .group_by(outbox.c.state)).all())
    acknowledged = set(state.delivered_ids())
    assert "in_flight" not in states
    assert states.get("delivered", 0) == len(acknowledged) > 0
    assert states.get("delivered", 0) + states.get("pending", 0) == total
    engine.dispose()
