"""Real-time latency: a diagnosis saved in the HIS -> the front-end's success reply.

    PYTHONPATH=src python bench/realtime.py [--samples 30] [--load 200] [--json-out FILE]

Starts the whole gateway as a user does (``hisbridge run -c hisbridge.yaml``, the worked
example's mappings over a synthetic SQLite HIS with a ``small`` day, the durable SQLite store)
and the protocol-shaped receiver (``hisbridge.testing.serve_receiver``) on loopback. While a
background thread pushes ``--load`` T+0 records/s (``emr_vital_signs_record``, batches of 20
through ``POST /api/v1/events/...``), it measures two paths, one sample at a time:

* push: ``POST /api/v1/events/emr_activity_info`` with one diagnosis, until the receiver
  answered success for that record id;
* polling: ``LiveActivity.step()`` saves a new visit whose main diagnosis is a notifiable
  disease stamped "now" (the simulator's other diagnoses are stamped later in the visit), until
  the receiver answered success for the first new ``emr_activity_info`` record; the real-time
  tables are polled every ``--interval`` seconds (``his.realtime_interval_s``, default 10; the
  suite uses 1).

Arrival times are stamped by a watcher thread every 2 ms, so figures carry ~2 ms resolution.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from hisbridge import _json
from hisbridge._clock import CHINA_TZ, system_clock
from hisbridge.project.example import write_example
from hisbridge.simulators.his.live import LiveActivity
from hisbridge.store.engine import make_engine
from hisbridge.testing import ReceiverState, sample_record, serve_receiver

TOKEN = secrets.token_urlsafe(32)  # push.token: at least 24 characters, never a fixed one
SRC = str(Path(__file__).resolve().parents[1] / "src")


class Arrivals:
    """Stamps each record the receiver got with the monotonic time it was first seen."""

    def __init__(self, state: ReceiverState) -> None:
        self.state, self.seen = state, 0
        self.at: dict[tuple[str, str], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            received, now = self.state.received, time.monotonic()
            for item in received[self.seen:len(received)]:
                if item.answer == "ok":
                    self.at.setdefault((item.table, item.record_id), now)
            self.seen = len(received)

    def wait_for(self, match: Callable[[str, str], bool], timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [t for key, t in list(self.at.items()) if match(*key)]
            if found:
                return min(found)
            time.sleep(0.002)
        return None

    def stop(self) -> None:
        self._stop.set()


class Pusher:
    """A keep-alive HTTP client for the gateway's push API."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, table: str, records: list[dict[str, Any]]) -> None:
        self.conn.request("POST", f"/api/v1/events/{table}", _json.dumps({"records": records}),
                          {"Content-Type": "application/json",
                           "Authorization": f"Bearer {TOKEN}"})
        reply = self.conn.getresponse()
        body = reply.read()
        if reply.status != 202:
            raise RuntimeError(f"push {table}: HTTP {reply.status} {body[:300]!r}")


def background_load(port: int, rate: float, stop: threading.Event, sent: list[int]) -> None:
    """``rate`` T+0 records/s in batches of 20, all children of the patient ``bg-patient``."""
    pusher, batch, n = Pusher(port), 20, 0
    began = time.monotonic()
    while not stop.is_set():
        rows = [sample_record("emr_vital_signs_record", f"bg-{n + i}", parent_id="bg-patient",
                              serial=n + i) for i in range(batch)]
        pusher.post("emr_vital_signs_record", rows)
        n += batch
        sent[0] = n
        delay = began + n / rate - time.monotonic()
        if delay > 0:
            stop.wait(delay)


def project(folder: Path, receiver_url: str, interval: float) -> tuple[Path, str]:
    his_url = f"sqlite:///{folder / 'his.sqlite'}"
    today = system_clock.now().astimezone(CHINA_TZ).date()
    subprocess.run([sys.executable, "-m", "hisbridge", "simulate", "his", "--db", his_url,
                    "--date", today.isoformat(), "--scale", "small", "--seed", "1", "--reset"],
                   check=True, stdout=subprocess.DEVNULL, env=_env())
    write_example(folder, his_url=his_url, frontend_url=receiver_url, force=True)
    config = folder / "hisbridge.yaml"
    data = yaml.safe_load(config.read_text("utf-8"))
    data["his"]["realtime_interval_s"] = interval
    data["push"] = {"token": TOKEN}
    config.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return config, his_url


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC}


def start_gateway(config: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "hisbridge", "run", "-c", str(config),
                                    "--port", str(port)], stdout=out, stderr=out, env=_env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"gateway did not start: {log.read_text()[-2000:]}")


def settle(state: ReceiverState, quiet_s: float = 3.0, limit_s: float = 180.0) -> int:
    """Wait until the first polls of the built day are delivered (no request for quiet_s)."""
    last, since, deadline = -1, time.monotonic(), time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if state.count != last:
            last, since = state.count, time.monotonic()
        elif time.monotonic() - since > quiet_s:
            break
        time.sleep(0.2)
    return last


def push_samples(port: int, arrivals: Arrivals, n: int) -> list[float]:
    pusher, waits = Pusher(port), []
    pusher.post("emr_patient_info", [sample_record("emr_patient_info", "rt-patient")])
    for i in range(n):
        record_id = f"rt-diag-{i}"
        row = sample_record("emr_activity_info", record_id, parent_id="rt-patient", serial=i)
        began = time.monotonic()
        pusher.post("emr_activity_info", [row])
        at = arrivals.wait_for(lambda t, r, rid=record_id: r == rid, 30)
        if at is not None:
            waits.append((at - began) * 1000)
        time.sleep(0.2)
    return waits


def polling_samples(his_url: str, arrivals: Arrivals, n: int) -> list[float]:
    live = LiveActivity(make_engine(his_url), seed=7, visits_per_step=1, infectious_share=1.0,
                        correction_share=0.0)
    waits = []
    for _ in range(n):
        known = {r for t, r in arrivals.at if t == "emr_activity_info"}
        live.step()  # committed when it returns: the doctor pressed "save"
        began = time.monotonic()
        at = arrivals.wait_for(lambda t, r, known=known, began=began: (
            t == "emr_activity_info" and r not in known and arrivals.at[(t, r)] >= began), 60)
        if at is not None:
            waits.append((at - began) * 1000)
        time.sleep(0.3)
    return waits


def percentiles(waits: list[float], wanted: int) -> dict[str, Any]:
    ordered = sorted(waits)
    if not ordered:
        return {"samples": 0, "missing": wanted}
    return {"samples": len(ordered), "missing": wanted - len(ordered),
            "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[max(0, int(len(ordered) * 0.99 + 0.5) - 1)],
            "max_ms": ordered[-1]}


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    state = ReceiverState()
    with serve_receiver(state) as receiver_url:
        config, his_url = project(folder, receiver_url, args.interval)
        gateway, port = start_gateway(config, folder / "gateway.log")
        arrivals, stop, sent = Arrivals(state), threading.Event(), [0]
        try:
            initial = settle(state)
            Pusher(port).post("emr_patient_info", [sample_record("emr_patient_info",
                                                                 "bg-patient")])
            loader = threading.Thread(target=background_load,
                                      args=(port, args.load, stop, sent), daemon=True)
            began = time.monotonic()
            loader.start()
            push = push_samples(port, arrivals, args.samples)
            polling = polling_samples(his_url, arrivals, args.samples)
            stop.set()
            loader.join(30)
            load_rate = sent[0] / (time.monotonic() - began)
        finally:
            stop.set()
            arrivals.stop()
            gateway.terminate()
            gateway.wait(30)
    return {"interval_s": args.interval, "load_target": args.load,
            "load_sent_per_s": load_rate, "initial_day_records": initial,
            "push": percentiles(push, args.samples),
            "polling": percentiles(polling, args.samples), "date": date.today().isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="samples per path")
    parser.add_argument("--load", type=float, default=200.0, help="background T+0 records/s")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="his.realtime_interval_s for the polling path")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hisbridge-rt-") as tmp:
        result = run(args, Path(tmp))
    for path in ("push", "polling"):
        found = result[path]
        print(f"{path:8s} p50 {found.get('p50_ms', float('nan')):7.1f} ms  p99 "
              f"{found.get('p99_ms', float('nan')):7.1f} ms  ({found['samples']} samples, "
              f"{found['missing']} missing)")
    print(f"background load sent {result['load_sent_per_s']:.0f} records/s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
