"""The gateway process SIGKILLed at seeded random moments while the HIS pushes, then restarted.

``hisbridge run`` (a real child process, SQLite store) receives batches on the push API and
delivers to the front-end simulator (a loopback port in this process). A killer thread waits
for seeded batch counts plus a seeded fraction of a second, SIGKILLs the gateway and starts it
again on the same port. The pusher re-sends a batch whose reply it did not get (as a HIS does;
a re-sent record is ``unchanged``). A record counts as accepted once a 202 names it. At the end
every accepted id must be delivered (and stored by the simulator) or dead with a reason.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from fault_kit import (
    Figures,
    backlog,
    free_port,
    port_open,
    reconcile,
    start_gateway,
    stop,
    wait_for,
)
from sqlalchemy.exc import SQLAlchemyError

from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import TEST_SECRETS, sample_record, serve_app

TABLE = "emr_patient_info"
TOKEN = TEST_SECRETS["push"]["token"]  # start_gateway hands the test secrets to the gateway
BATCH = 100


def _config(path: Path, store_url: str, frontend_url: str) -> Path:
    path.write_text(
        f"store:\n  url: {store_url}\n"
        f"frontend:\n  base_url: {frontend_url}\n  concurrency: 8\n  timeout_s: 5\n"
        "delivery:\n  batch_size: 100\n  lease_s: 2\n  retry_base_s: 0.2\n  retry_cap_s: 2\n"
        f"push:\n  token: {TOKEN}\n", "utf-8")
    return path


def restart_postgres() -> None:
    """Restart the machine's PostgreSQL (long suite only: it cuts every client's connections)."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, timeout=120, capture_output=True)


class Crasher:
    """Owns the gateway process: start, then at planned batch counts SIGKILL and restart it,
    or (``fault="postgres"``) restart the PostgreSQL store under it."""

    def __init__(self, config: Path, port: int, workdir: Path, kills: list[tuple[int, float]],
                 fault: str = "gateway"):
        self.config, self.port, self.workdir, self.kills = config, port, workdir, kills
        self.fault = fault
        self.pushed = 0
        self.restart_s: list[float] = []
        self.process = self._start()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _start(self) -> subprocess.Popen[bytes]:
        process = start_gateway(self.config, self.port, self.workdir / "gateway.log")
        if not wait_for(lambda: port_open(self.port), 60):
            raise AssertionError(self.log_tail())
        return process

    def _run(self) -> None:
        for at_batch, extra_s in self.kills:
            wait_for(lambda at=at_batch: self.pushed >= at, 300, step=0.02)  # type: ignore[misc]
            time.sleep(extra_s)
            killed = time.monotonic()
            if self.fault == "postgres":
                restart_postgres()
            else:
                self.process.kill()
                self.process.wait(10)
                self.process = self._start()
            self.restart_s.append(time.monotonic() - killed)

    def log_tail(self) -> str:
        return (self.workdir / "gateway.log").read_text("utf-8", "replace")[-3000:]


def _push(client: httpx.Client, rows: list[dict[str, object]], deadline: float,
          refused: Counter[int], waits: list[float]) -> None:
    """POST one batch until a 202 comes back (the gateway or its store may be down a while);
    the seconds a refused batch waited for its 202 are appended to ``waits``."""
    started, tries = time.monotonic(), 0
    while time.monotonic() < deadline:
        tries += 1
        try:
            reply = client.post(f"/api/v1/events/{TABLE}", json=rows)
        except httpx.TransportError:
            refused[0] += 1
            time.sleep(0.2)
            continue
        if reply.status_code >= 500:  # the store restarting: the HIS retries, as it should
            refused[reply.status_code] += 1
            time.sleep(0.2)
            continue
        if reply.status_code == 202:
            body = reply.json()
            assert body["accepted"] + body["unchanged"] == len(rows), body
            if tries > 1:
                waits.append(time.monotonic() - started)
            return
        raise AssertionError(f"push refused: {reply.status_code} {reply.text[:300]}")
    raise AssertionError("push deadline passed")


def _backlog_or_none(engine: Any) -> int | None:
    try:
        return backlog(engine)
    except SQLAlchemyError:  # the store restarting under us: ask again later
        return None


def run_crashes(workdir: Path, n: int, *, kills: int = 3, seed: int = 10,
                deadline_s: float = 600, store_url: str | None = None,
                fault: str = "gateway") -> Figures:
    """Push ``n`` records while the gateway is SIGKILLed ``kills`` times (or its PostgreSQL
    store restarted, ``fault="postgres"``); reconcile."""
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    batches = max(kills + 2, n // BATCH)
    plan = sorted(zip(rng.sample(range(1, batches - 1), kills),
                      [round(rng.uniform(0, 0.5), 2) for _ in range(kills)], strict=True))
    figures = Figures(f"gateway SIGKILL x{kills} (seed {seed})" if fault == "gateway"
                      else f"PostgreSQL store restarted x{kills} (seed {seed})")
    figures.notes.append(f"kill after batch/at +s: {plan}")
    store_url = store_url or f"sqlite:///{workdir / 'store.db'}"
    engine = make_engine(store_url)
    upgrade(engine)
    sim_db = workdir / "sim.db"
    app = create_frontend_app(FrontendSimConfig(mode="lenient"), store_url=f"sqlite:///{sim_db}")
    deadline = time.monotonic() + deadline_s
    with serve_app(app) as url:
        port = free_port()
        crasher = Crasher(_config(workdir / "gw.yaml", store_url, url), port, workdir, plan,
                          fault)
        crasher.thread.start()
        accepted: list[str] = []
        refused: Counter[int] = Counter()
        waits: list[float] = []
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client:
            for b in range(batches):
                rows = [sample_record(TABLE, f"p{i}", serial=i)
                        for i in range(b * n // batches, (b + 1) * n // batches)]
                _push(client, rows, deadline, refused, waits)
                accepted += [str(row["id"]) for row in rows]
                crasher.pushed = b + 1
        crasher.thread.join(max(1.0, deadline - time.monotonic()))
        last_kill_done = time.monotonic()
        drained = wait_for(lambda: _backlog_or_none(engine) == 0, max(1.0, deadline - time.monotonic()), 0.3)
        figures.recover_s = round(time.monotonic() - last_kill_done, 1)
        stop(crasher.process)
        if not drained:
            figures.notes.append("backlog not empty at the deadline: " + crasher.log_tail()[-500:])
        figures.notes.append(f"push retries (0 = connection refused): {dict(refused)}")
        figures.notes.append("a refused batch waited for its 202 (s): "
                             + (", ".join(f"{w:.1f}" for w in waits) or "none"))
        figures.notes.append("restart (kill → port open) s: "
                             + ", ".join(f"{s:.1f}" for s in crasher.restart_s))
        time.sleep(0.3)
        reconcile(figures, engine, sim_db, TABLE, accepted)
    engine.dispose()
    return figures
