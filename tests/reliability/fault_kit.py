"""Shared pieces of the reliability scenarios: figures, reconciliation, processes.

The CI tests (``tests/reliability/test_*.py``) and the long suite (``scripts/reliability.py``)
run the same scenario functions with different sizes, so the figures in
``docs/reliability.md`` come from the code the tests assert on.

Reconciliation is done against what the front-end simulator actually holds: its own SQLite
file (read through a separate connection) for the stored rows and its request log for the
number of successful sends per record id, which gives the duplicates.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

import hisbridge
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing import secret_env

SRC = str(Path(hisbridge.__file__).resolve().parents[1])
TERMINAL = ("delivered", "dead", "replayed")


@dataclass
class Figures:
    """What one scenario run produced: the row of the table in docs/reliability.md."""

    scenario: str
    records_in: int = 0
    delivered: int = 0
    dead: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    failed_sends: int = 0
    recover_s: float | None = None
    lost: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "records_in": self.records_in,
                "delivered": self.delivered, "dead": dict(self.dead),
                "duplicates": self.duplicates, "failed_sends": self.failed_sends, "recover_s": self.recover_s,
                "lost": len(self.lost), "lost_sample": self.lost[:10], "notes": self.notes}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition`` until true or ``timeout`` seconds passed (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def outbox_states(engine: Engine) -> dict[str, tuple[str, str]]:
    """record id -> (state, last_error) of its latest outbox entry."""
    query = select(outbox.c.record_id, outbox.c.state, outbox.c.last_error).order_by(outbox.c.id)
    with engine.connect() as conn:
        return {r.record_id: (r.state, r.last_error or "") for r in conn.execute(query)}


def backlog(engine: Engine) -> int:
    """Entries not yet in a final state."""
    return sum(1 for state, _ in outbox_states(engine).values() if state not in TERMINAL)


def sim_view(sim_db: Path, table: str) -> tuple[set[str], Counter[str], int]:
    """(ids stored, successful receipts per id, failed requests) from the simulator's database."""
    with sqlite3.connect(f"file:{sim_db}?mode=ro", uri=True, timeout=10) as db:
        stored = {row[0] for row in db.execute(f"SELECT id FROM {table}")}
        receipts: Counter[str] = Counter()
        for body, in db.execute("SELECT body FROM sim_request WHERE method = 'POST' AND result = 1"
                                " AND path LIKE '/hclient/emr/receive/%'"):
            record_id = _id_of(body)
            if record_id:
                receipts[record_id] += 1
        failed = db.execute("SELECT COUNT(*) FROM sim_request WHERE result IS NOT 1"
                            " AND path LIKE '/hclient/emr/receive/%'").fetchone()[0]
    return stored, receipts, int(failed)


def _id_of(body: str | None) -> str | None:
    try:
        parsed = json.loads(body or "null")
    except ValueError:
        return None
    return str(parsed.get("id")) if isinstance(parsed, dict) and parsed.get("id") else None


def reconcile(figures: Figures, engine: Engine, sim_db: Path, table: str,
              accepted: Iterable[str]) -> Figures:
    """Fill the figures: every accepted id delivered (and stored) or dead with a reason."""
    states = outbox_states(engine)
    stored, receipts, figures.failed_sends = sim_view(sim_db, table)
    for record_id in accepted:
        figures.records_in += 1
        state, error = states.get(record_id, ("missing", ""))
        if state == "delivered" and record_id in stored:
            figures.delivered += 1
        elif state == "dead" and error:
            figures.dead[error[:60]] += 1
        else:
            figures.lost.append(f"{record_id}:{state}:{'stored' if record_id in stored else '-'}")
    figures.duplicates = sum(n - 1 for n in receipts.values() if n > 1)
    return figures


# -- processes -----------------------------------------------------------------------------


def subprocess_env() -> dict[str, str]:
    """The environment for a child ``python -m hisbridge``: this checkout first."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": SRC + (os.pathsep + path if path else "")}


def start_gateway(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``hisbridge run -c CONFIG --port PORT`` as a user starts it."""
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c", str(config),
                                 "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=out, env={**subprocess_env(), **secret_env()})


def stop(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
