"""No unmasked personal data in any log line or page of a short ``hisbridge demo`` run.

Which pages and what counts: see ``pii_scan.py``. The demo runs as a user starts it (a child
process); a console admin is added with ``hisbridge user add`` on the demo's own config.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fault_kit import free_port, subprocess_env, wait_for
from pii_scan import Findings, Personal, crawl_console, login

PASSWORD = "scan-pass-2026-x"


def _demo(tmp_path: Path, ports: list[int], log: Path) -> subprocess.Popen[bytes]:
    gateway, frontend, client, gdhealth = ports
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "hisbridge", "demo", "--duration", "120", "--data-dir",
             str(tmp_path / "demo"), "--port", str(gateway), "--frontend-port", str(frontend),
             "--client-port", str(client), "--gdhealth-port", str(gdhealth)],
            stdout=out, stderr=subprocess.STDOUT, env={**subprocess_env(), "COLUMNS": "200"})


def _add_admin(config: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "hisbridge", "user", "add", "scanadmin",
                           "--role", "admin", "--password-stdin", "-c", str(config)],
                          input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
                          env=subprocess_env())
    assert done.returncode == 0, done.stdout + done.stderr


def _pages(ports: list[int], log_text: str) -> dict[str, str]:
    gateway, frontend, client_port, _ = ports
    base = f"http://127.0.0.1:{gateway}"
    pages: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=20) as client:
        login(client, "scanadmin", PASSWORD)
        pages.update({f"console {p}": text for p, text in crawl_console(client).items()})
        for url in re.findall(rf"{re.escape(base)}/ws/[^\s]+", log_text):
            pages[f"ws {url[len(base):][:40]}"] = client.get(url).text
            state = url.replace("/ws/shared?", "/ws/shared/api/state?")
            if state != url:
                pages["ws records state"] = client.get(state).text
    for url in (f"http://127.0.0.1:{frontend}/sim/tables", f"http://127.0.0.1:{frontend}/sim/messages",
                f"http://127.0.0.1:{frontend}/sim/faults",
                f"http://127.0.0.1:{client_port}/client/secretKey?license=SIM-LICENSE-0001"):
        pages[url] = httpx.get(url, timeout=20).text
    return pages


def _secrets(config: Path) -> dict[str, str]:
    """The demo's secrets (signing keys, SM4 key, callback secret) and the admin's password."""
    from hisbridge.settings import load_settings

    settings = load_settings(config)
    gd = settings.gdhealth
    values = {"web.secret_key": settings.web.secret_key, "gdhealth.partner_secret": gd.partner_secret,
              "gdhealth.sm4_key": gd.sm4_key, "gdhealth.callback_secret": gd.callback_secret}
    found = {name: value.get_secret_value() for name, value in values.items()}
    found["console password"] = PASSWORD
    return {name: value for name, value in found.items() if len(value) >= 8}


def test_no_personal_data_in_demo_logs_and_pages(tmp_path: Path) -> None:
    ports = [free_port() for _ in range(4)]
    log = tmp_path / "demo.log"
    demo = _demo(tmp_path, ports, log)
    try:
        assert wait_for(lambda: "/ws/warnings?userId=" in log.read_text("utf-8", "replace"), 90,
                        0.5), log.read_text("utf-8", "replace")[-2000:]
        _add_admin(tmp_path / "demo" / "project" / "hisbridge.yaml")
        time.sleep(3)  # a few more warnings and deliveries
        pages = _pages(ports, log.read_text("utf-8", "replace"))
        # Positive control: the simulator's raw request log holds what it received, names
        # included (a front-end stores the data): the detector must see them there.
        control = httpx.get(f"http://127.0.0.1:{ports[1]}/sim/requests?limit=300", timeout=20).text
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops it
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait(10)
    personal = Personal.from_his(tmp_path / "demo" / "his.db")
    assert len(personal.names) > 20 and len(personal.phones) > 20
    findings = Findings()
    findings.scan("demo output", log.read_text("utf-8", "replace"), personal)
    for source, text in pages.items():
        findings.scan(source, text, personal)
    assert sum(1 for s in findings.scanned if s.startswith("console")) >= 8, findings.scanned
    assert any(s.startswith("ws records") for s in findings.scanned), findings.scanned
    assert findings.leaks == [], findings.leaks[:30]
    secrets = _secrets(tmp_path / "demo" / "project" / "hisbridge.yaml")
    shown = [f"{source}: {name}" for source, text in [("demo output", log.read_text("utf-8", "replace")),
                                                      *pages.items()]
             for name, value in secrets.items() if value in text]
    assert shown == [], shown
    positive = Findings()
    positive.scan("control", control, personal)
    assert positive.leaks, "the detector found nothing where names are expected"
