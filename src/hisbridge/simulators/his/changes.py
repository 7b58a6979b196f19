"""Corrections over the day: cancelled visits, corrected diagnoses, deleted results.

Some HIS tables mark deletes with a flag (``clinic_master.cancel_flag``, ``diagnosis.del_flag``,
``presc_master.del_flag``); others lose the row outright (``lab_result``, ``exam_master``), which
only a key-set comparison can notice. Both kinds happen here, so delete detection is exercised.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime

from sqlalchemy import Engine, Table, delete, select, update

from hisbridge.simulators.his.schema import his_metadata
from hisbridge.simulators.his.vocab import COMMON_DIAGNOSES

__all__ = ["apply_corrections"]


def _sample(engine: Engine, table: Table, key: str, tag: str, share: float,
            rng: random.Random) -> list[str]:
    column = table.c[key]
    with engine.connect() as conn:
        keys = sorted(conn.execute(select(column).where(column.like(f"%{tag}%"))).scalars())
    return rng.sample(keys, min(len(keys), max(1, int(len(keys) * share)))) if keys else []


def apply_corrections(engine: Engine, day: date, *, seed: int = 1, when: datetime | None = None,
                      share: float = 0.02) -> Counter[str]:
    """Cancel, correct and delete a ``share`` of the day's rows; counts of what changed."""
    rng = random.Random(seed * 31 + day.toordinal())
    at = when or datetime(day.year, day.month, day.day, 23, 30)
    tag = f"{day:%Y%m%d}"
    t = his_metadata.tables
    done: Counter[str] = Counter()
    for table, key, values in (
        ("clinic_master", "visit_no", {"cancel_flag": "1"}),
        ("presc_master", "presc_no", {"del_flag": "1"}),
    ):
        keys = _sample(engine, t[table], key, tag, share, rng)
        with engine.begin() as conn:
            conn.execute(update(t[table]).where(t[table].c[key].in_(keys)).values(
                **values, modify_time=at))
        done[f"{table}.deleted_flag"] += len(keys)
    code = rng.choice(list(COMMON_DIAGNOSES))
    keys = _sample(engine, t["diagnosis"], "diag_id", tag, share, rng)
    with engine.begin() as conn:
        conn.execute(update(t["diagnosis"]).where(t["diagnosis"].c.diag_id.in_(keys)).values(
            diag_code=code, diag_desc=COMMON_DIAGNOSES[code], modify_time=at))
    done["diagnosis.corrected"] += len(keys)
    for table, key in (("lab_result", "result_id"), ("exam_master", "exam_no")):
        keys = _sample(engine, t[table], key, tag, share, rng)
        with engine.begin() as conn:
            conn.execute(delete(t[table]).where(t[table].c[key].in_(keys)))
        done[f"{table}.removed"] += len(keys)
    return done
