"""`hisbridge demo --group --duration N`: a county hospital and three township centres on one
synthetic HIS, routed to two front-end simulators. Each simulator holds exactly its
institutions' records (the county's none of the centres', the shared one only the centres',
each under its own organisation code and licence), nothing the gateway delivered is missing,
and no record was unroutable or dead."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from hisbridge.dictionary import load_dictionary
from hisbridge.simulators.his import COUNTY_GROUP
from hisbridge.testing import free_ports

COUNTY = COUNTY_GROUP.county.org_code
CENTRES = {m.org_code for m in COUNTY_GROUP.townships}
Keys = dict[str, set[str]]  # national table -> record keys


def _delivered(store: Path) -> tuple[dict[str, Keys], dict[str, Keys]]:
    """Per institution: the keys whose latest delivered version is an upsert, and every key
    delivered at all (bare HIS keys, as the front-end stores them)."""
    live: dict[str, Keys] = defaultdict(lambda: defaultdict(set))
    seen: dict[str, Keys] = defaultdict(lambda: defaultdict(set))
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT institution, table_name, record_id, op FROM outbox "
                          "WHERE state = 'delivered' ORDER BY table_name, record_id, version")
        latest = {(org, table, rid): op for org, table, rid, op in rows}
    for (org, table, rid), op in latest.items():
        key = rid.split("/", 1)[1] if rid.startswith(f"{org}/") else rid
        seen[org][table].add(key)
        if op == "upsert":
            live[org][table].add(key)
        else:
            live[org][table].discard(key)
    return live, seen


def _frontend(db_path: Path) -> tuple[Keys, set[str], set[str]]:
    """A simulator's keys per table, the organisation codes its rows carry, and the licences
    it issued secret keys for."""
    dictionary = load_dictionary()
    keys: Keys = {}
    orgs: set[str] = set()
    with sqlite3.connect(db_path) as db:
        for name in dictionary.names:
            spec = dictionary.table(name)
            keys[name] = {k for (k,) in db.execute(f"SELECT {spec.primary_key} FROM {name}")}
            if spec.field("org_code") is not None:
                orgs |= {o for (o,) in db.execute(f"SELECT DISTINCT org_code FROM {name}")}
        licences = {x for (x,) in db.execute("SELECT DISTINCT license FROM sim_secret_key")}
    return keys, orgs, licences


def _union(per_org: dict[str, Keys], orgs: set[str]) -> Keys:
    out: Keys = defaultdict(set)
    for org in orgs:
        for table, keys in per_org.get(org, {}).items():
            out[table] |= keys
    return out


def test_group_demo_routes_every_record_to_its_institutions_front_end(tmp_path: Path) -> None:
    gateway, county, shared, client, gdhealth = free_ports(5)
    data = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "hisbridge", "demo", "--group", "--duration", "45", "--data-dir",
         str(data), "--port", str(gateway), "--frontend-port", str(county),
         "--shared-frontend-port", str(shared), "--client-port", str(client),
         "--gdhealth-port", str(gdhealth)],
        capture_output=True, text=True, timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin",
             **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    assert re.search(r"\d{17}[\dX]", out) is None  # no resident ID number on screen
    summary = {org: (int(sent), int(dead), int(held)) for org, sent, dead, held in re.findall(
        r"机构 institution (\S+) .+?: 已投递 delivered (\d+), 排队 waiting \d+, 死信 dead (\d+), "
        r"隔离 held (\d+)", out)}
    assert set(summary) == {COUNTY, *CENTRES, "—"}, out[-3000:]
    assert summary.pop("—") == (0, 0, 0)  # nothing unroutable
    assert all(sent > 0 and dead == 0 for sent, dead, _ in summary.values()), summary
    widget = re.search(r"/ws/warnings\?(\S+)", out)  # a doctor's warnings, at their institution
    assert widget is not None and "orgCode=" in widget.group(1), out[-2000:]
    assert (data / "project" / "hisbridge.yaml").stat().st_mode & 0o077 == 0
    config = yaml.safe_load((data / "project" / "hisbridge.yaml").read_text("utf-8"))
    licence = {i["org_code"]: i["frontend"]["license"] for i in config["institutions"]}
    assert len(set(licence.values())) == 4

    live, seen = _delivered(data / "store.db")
    for org in (COUNTY, *CENTRES):
        assert sum(map(len, live[org].values())) > 0, f"nothing delivered to {org}"
    county_keys, county_orgs, county_licences = _frontend(data / "frontend-county.db")
    shared_keys, shared_orgs, shared_licences = _frontend(data / "frontend-townships.db")
    assert county_orgs == {COUNTY}
    assert shared_orgs == CENTRES
    assert county_licences <= {licence[COUNTY]}
    assert shared_licences and shared_licences <= {licence[c] for c in CENTRES}
    for keys, orgs in ((county_keys, {COUNTY}), (shared_keys, CENTRES)):
        expected, sent = _union(live, orgs), _union(seen, orgs)
        for table, held in keys.items():
            assert held <= sent[table], f"{table}: records of another institution"
            assert expected[table] <= held, f"{table}: delivered but missing"
    doctors_in_both = county_keys["base_user"] & shared_keys["base_user"]
    assert doctors_in_both, "no doctor of two institutions got a row at each"
