"""The shipped Prometheus rules and Grafana dashboard parse, and name only metrics that
``/metrics`` of a gateway really exports (scraped here from a test app).

Where ``promtool`` is installed (Debian package ``prometheus``) the rules are also checked and
their unit tests (``hisbridge-rules.test.yml``) run, and every dashboard query is parsed by it;
with HISBRIDGE_REQUIRE_SERVICES=1 (CI) a missing promtool fails instead of being passed over.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from hisbridge._clock import ManualClock
from hisbridge.runtime.delivery import DeliveryService
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.testing import RecordingTarget, sample_record
from hisbridge.testing.receiver import free_ports
from hisbridge.web.app import create_app
from hisbridge.web.services import AppServices

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "hisbridge-rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "hisbridge-rules.test.yml"
DASHBOARD = DEPLOY / "grafana" / "hisbridge.json"
# Prometheus's own series, not the gateway's
BUILT_IN = {"up"}
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
             "summary": ("_count", "_sum", "_created"), "gauge": ("",), "info": ("_info",)}
_NAMED = re.compile(r"\b((?:hisbridge|process|python)_[a-z0-9_]+)")
_SELECTED = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


async def _exported(engine: Engine) -> set[str]:
    """Every series name the test gateway's /metrics can carry (from its families' types)."""
    clock = ManualClock()
    settings = Settings(frontend={"base_url": f"http://127.0.0.1:{free_ports(1)[0]}"})
    service = DeliveryService.from_settings(settings, engine, target=RecordingTarget(), clock=clock)
    service.accept("emr_patient_info", [sample_record("emr_patient_info", "p1", serial=1)])
    assert await service.run_until_idle(10)
    app = create_app(settings, engine, clock=clock, services=AppServices(delivery=service))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        text = (await http.get("/metrics")).text
    await service.stop()
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ()))
        names.update(sample.name for sample in family.samples)
    return names


def _rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def _dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def _used(expr: str) -> set[str]:
    return set(_NAMED.findall(expr)) | set(_SELECTED.findall(expr))


def test_rules_parse_and_cover_what_a_hospital_is_alerted_on() -> None:
    rules = _rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
    used = set().union(*(_used(r["expr"]) for r in rules))
    for metric in ("hisbridge_outbox_oldest_pending_seconds", "hisbridge_dead_lettered_total",
                   "hisbridge_retries_total", "hisbridge_source_last_poll_timestamp_seconds",
                   "hisbridge_frontend_key_expiry_timestamp_seconds", "hisbridge_ready"):
        assert metric in used, metric


def test_dashboard_parses_and_every_panel_has_a_query() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [p["id"] for p in dashboard["panels"]]
    assert dashboard["uid"] == "hisbridge" and len(ids) == len(set(ids)) >= 10
    assert all(p["targets"] and all(t["expr"].strip() for t in p["targets"])
               for p in dashboard["panels"])
    assert {v["name"] for v in dashboard["templating"]["list"]} == {"datasource", "instance"}


async def test_rules_and_dashboard_name_only_exported_metrics(engine: Engine) -> None:
    exported = await _exported(engine) | BUILT_IN
    queries = [r["expr"] for r in _rules()] + _dashboard_queries()
    used = set().union(*(_used(q) for q in queries))
    assert used - exported == set()
    assert len(used) >= 15  # the check looked at real queries


def _promtool() -> str | None:
    found = shutil.which("promtool")
    if found is None and os.environ.get("HISBRIDGE_REQUIRE_SERVICES") == "1":
        pytest.fail("promtool not found: apt-get install prometheus (CI checks the rules with it)")
    return found


def test_promtool_checks_the_rules_runs_their_unit_tests_and_parses_the_dashboard(
        tmp_path: Path) -> None:
    promtool = _promtool()
    if promtool is None:  # locally without promtool: the tests above still hold the files
        return
    for args in (["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]):
        done = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    # each dashboard query as a recording rule: promtool parses every one
    recorded = [{"record": f"dashboard:query_{i}", "expr": q}
                for i, q in enumerate(_dashboard_queries())]
    queries = tmp_path / "dashboard-queries.yml"
    queries.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recorded}]}))
    done = subprocess.run([promtool, "check", "rules", str(queries)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
