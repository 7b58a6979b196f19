"""Live activity for the demo: doctors registering patients, saving diagnoses, labs reporting.

``LiveActivity.step()`` adds a few events stamped with the clock's current time; run it in a
thread or an asyncio task (``await asyncio.to_thread(live.step)``) every few seconds.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime

from sqlalchemy import Engine

from hisbridge._clock import CHINA_TZ, Clock, system_clock
from hisbridge.simulators.his.build import HisWriter
from hisbridge.simulators.his.changes import apply_corrections
from hisbridge.simulators.his.clinical import Visit, labs
from hisbridge.simulators.his.encounters import admission, outpatient
from hisbridge.simulators.his.group import HisGroup
from hisbridge.simulators.his.hospital import Hospital
from hisbridge.simulators.his.schema import his_metadata
from hisbridge.simulators.his.vocab import INFECTIOUS_DIAGNOSES

__all__ = ["LiveActivity"]


class LiveActivity:
    """Adds a handful of visits per step; a share of them are notifiable diseases."""

    def __init__(self, engine: Engine, *, seed: int = 1, clock: Clock = system_clock,
                 visits_per_step: int = 3, infectious_share: float = 0.2,
                 correction_share: float = 0.1, group: HisGroup | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.rng = random.Random(seed)
        self.visits_per_step = visits_per_step
        self.infectious_share = infectious_share
        self.correction_share = correction_share
        self.seed = seed
        self.group = group  # a county group's HIS: visits at the township centres too
        self.total: Counter[str] = Counter()
        self._hospital: Hospital | None = None
        his_metadata.create_all(engine)

    def _now(self) -> datetime:
        return self.clock.now().astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0)

    def _for_today(self, now: datetime) -> Hospital:
        midnight = now.replace(hour=0, minute=0, second=0)
        if self._hospital is None or self._hospital.day != midnight:
            # a high sequence base keeps live ids apart from a day built in advance
            self._hospital = Hospital(self.seed + 99, midnight, seq_base=800_000,
                                      group=self.group)
        return self._hospital

    def step(self) -> Counter[str]:
        """Add this step's events now; rows written per HIS table."""
        now = self._now()
        hospital = self._for_today(now)
        writer = HisWriter(self.engine)
        for _ in range(self.visits_per_step):
            rows = outpatient(hospital, now)
            if self.rng.random() < self.infectious_share:
                self._make_notifiable(hospital, rows, now)
            writer.add(rows)
        if self.rng.random() < 0.2:
            writer.add(admission(hospital, now))
        writer.flush()
        if self.rng.random() < self.correction_share:
            # one cancelled visit, corrected diagnosis, deleted prescription, lab result, exam
            changed = apply_corrections(self.engine, now.date(), seed=self.rng.randrange(10**6),
                                        when=now, share=1e-9)
            writer.counts.update(changed)
        self.total.update(writer.counts)
        return writer.counts

    def _make_notifiable(self, hospital: Hospital, rows: dict[str, list[dict[str, object]]],
                         now: datetime) -> None:
        """Turn the visit's main diagnosis into a notifiable disease with a positive test."""
        code = self.rng.choice(("J10", "J11", "U07.10", "B08.4", "A09.0"))
        main = rows["diagnosis"][0]
        main.update(diag_code=code, diag_desc=INFECTIOUS_DIAGNOSES[code], diag_time=now,
                    modify_time=now)
        visit = rows["clinic_master"][0]
        v = Visit(str(visit["visit_no"]), str(visit["patient_id"]), "O", str(visit["visit_dept"]),
                  str(visit["doctor"]), now, code, INFECTIOUS_DIAGNOSES[code], True)
        panel = {"J10": "FLU", "J11": "FLU", "U07.10": "NCOV", "A09.0": "NORO"}.get(code, "CBC")
        for table, items in labs(hospital, v, [panel]).items():
            for item in items:
                item["modify_time"] = now  # the lab reports right away in the demo
            rows.setdefault(table, []).extend(items)
