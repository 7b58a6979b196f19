"""A demo folder kept from before hospital groups has a synthetic HIS without
``dept_dict.org_code``, which the worked-example mappings now read: the demo rebuilds it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import create_engine, inspect, text

from hisbridge.demo.run import _build_hospital


def test_an_older_demo_his_is_rebuilt_with_the_institution_column(tmp_path: Path) -> None:
    old = create_engine(f"sqlite:///{tmp_path / 'his.db'}")
    with old.begin() as conn:
        conn.execute(text("CREATE TABLE dept_dict (dept_code VARCHAR(10) PRIMARY KEY)"))
    old.dispose()
    (tmp_path / "his.built").write_text("2026-03-01T08:00:00", "utf-8")
    engine = _build_hospital(tmp_path, datetime(2026, 3, 2, 9, 0), Console(quiet=True))
    columns = {c["name"] for c in inspect(engine).get_columns("dept_dict")}
    with engine.connect() as conn:
        visits = conn.execute(text("SELECT COUNT(*) FROM clinic_master")).scalar_one()
    engine.dispose()
    assert "org_code" in columns and visits > 0
