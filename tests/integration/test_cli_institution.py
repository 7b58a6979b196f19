"""``--institution CODE`` on every command that lists or acts on stored data, over a store
holding rows of two institutions (A's with the institution NULL: the default one's).

Each listing narrowed to B shows B's marker and never A's, and its ``--json`` names the
institution of every row; a replay narrowed to A leaves B's dead letters alone; an unknown
code is refused naming the served ones; ``hisbridge user`` scopes users.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.ops.users import UserStore
from hisbridge.settings import load_settings
from hisbridge.store.schema.outbox import outbox
from hisbridge.testing.institutions import DEAD_TABLE, group_settings_yaml, seed_institution

runner = CliRunner()
A, B = "ORG-A", "ORG-B"
MARK_A, MARK_B = "AMARK55", "BMARK66"
TODAY = datetime.now(UTC).astimezone(load_settings().his.zone()).date().isoformat()  # the HIS's day

LISTINGS = [
    ("outbox", "status"), ("outbox", "dead"), ("outbox", "held"), ("quality",), ("warnings",),
    ("authorizations",), ("audit", "list"),
]


@pytest.fixture(autouse=True)
def _commands() -> None:
    if not app.registered_groups:
        _register()


@pytest.fixture
def config(store_engine: Engine, store_url: str, tmp_path: Path) -> Path:
    seed_institution(store_engine, None, MARK_A)
    seed_institution(store_engine, B, MARK_B)
    path = tmp_path / "hisbridge.yaml"
    path.write_text(group_settings_yaml({A: "县人民医院", B: "乡镇卫生院"}, A)
                    + f"store:\n  url: {store_url}\n", "utf-8")
    return path


def _json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("command", LISTINGS, ids=" ".join)
def test_every_listing_narrows_to_one_institution(command: tuple[str, ...], config: Path) -> None:
    everything = json.dumps(_json(*command, "-c", str(config)), ensure_ascii=False)
    only_b = json.dumps(_json(*command, "-c", str(config), "--institution", B), ensure_ascii=False)
    only_a = json.dumps(_json(*command, "-c", str(config), "--institution", A), ensure_ascii=False)
    if command != ("outbox", "status"):  # counts only: checked below
        assert MARK_A in everything and MARK_B in everything
        assert MARK_B in only_b and MARK_A not in only_b
        assert MARK_A in only_a and MARK_B not in only_a


def test_json_names_each_rows_institution(config: Path) -> None:
    dead = _json("outbox", "dead", "-c", str(config))
    assert isinstance(dead, list)
    assert {(d["record_id"], d["institution"]) for d in dead} == {
        (f"{MARK_A}-P1", A), (f"{MARK_B}-P1", B)}  # NULL is the default institution, A
    status = _json("outbox", "status", "-c", str(config), "--institution", B)
    assert isinstance(status, dict)
    assert status["institution"] == B
    assert status["counts"][DEAD_TABLE] == {"dead": 1, "pending": 1}
    assert status["quarantined"] == {DEAD_TABLE: 1}


def test_a_replay_narrowed_to_a_leaves_b_alone(config: Path, store_engine: Engine) -> None:
    result = runner.invoke(app, ["outbox", "replay", "-c", str(config), "-t", DEAD_TABLE,
                                 "--institution", A, "--yes"])
    assert result.exit_code == 0, result.output
    assert "replayed 1" in result.output
    o = outbox.c
    with store_engine.connect() as conn:
        b_dead = conn.execute(select(o.replayed).where(o.institution == B, o.state == "dead")).all()
    assert b_dead == [(False,)]


def test_reconcile_of_one_institution_is_its_store_side(config: Path) -> None:
    found = _json("reconcile", "-c", str(config), "--date", TODAY, "--institution", B)
    assert isinstance(found, dict)
    assert found["institution"] == B
    assert found["tables"] == [{"table": DEAD_TABLE, "institution": B, "accepted": 2,
                                "delivered": 0, "in_flight": 1, "dead": 1}]


def test_an_unknown_institution_is_refused(config: Path) -> None:
    result = runner.invoke(app, ["outbox", "dead", "-c", str(config), "--institution", "ORG-Z"])
    assert result.exit_code == 2
    assert "ORG-Z" in result.output and B in result.output


def test_user_institutions(config: Path, store_engine: Engine) -> None:
    added = runner.invoke(app, ["user", "add", "clerk", "--role", "operator", "-c", str(config),
                                "--institution", B, "--password-stdin"],
                          input="tall-river-2026-x\n")
    assert added.exit_code == 0, added.output
    users = UserStore(store_engine)
    assert users.get("clerk").institutions == (B,)  # type: ignore[union-attr]
    listed = _json("user", "list", "-c", str(config))
    assert isinstance(listed, list) and listed[0]["机构 institutions"] == B
    widened = runner.invoke(app, ["user", "institutions", "clerk", "-c", str(config),
                                  "--institution", A, "--institution", B])
    assert widened.exit_code == 0, widened.output
    assert users.get("clerk").institutions == (A, B)  # type: ignore[union-attr]
    runner.invoke(app, ["user", "institutions", "clerk", "-c", str(config)])
    assert users.get("clerk").institutions == ()  # type: ignore[union-attr]
    refused = runner.invoke(app, ["user", "add", "x1", "--role", "operator", "-c", str(config),
                                  "--institution", "ORG-Z", "--password-stdin"], input="x\n")
    assert refused.exit_code == 2


def test_a_replayed_entry_keeps_its_institution(config: Path, store_engine: Engine) -> None:
    result = runner.invoke(app, ["outbox", "replay", "-c", str(config), "-t", DEAD_TABLE,
                                 "--institution", B, "--yes"])
    assert result.exit_code == 0, result.output
    o = outbox.c
    with store_engine.connect() as conn:
        again = conn.execute(select(o.record_id, o.institution).where(o.replay_of.is_not(None))).all()
    assert [tuple(r) for r in again] == [(f"{MARK_B}-P1", B)]  # still delivered to B


def test_a_resent_unchanged_record_keeps_its_institution(config: Path, store_engine: Engine) -> None:
    from hisbridge.sources.resend import _requeue_latest

    assert _requeue_latest(store_engine, DEAD_TABLE, f"{MARK_B}-P1", datetime.now(UTC)) == "requeued"
    o = outbox.c
    with store_engine.connect() as conn:
        again = conn.execute(select(o.institution).where(o.note == "resend")).all()
    assert again == [(B,)]
