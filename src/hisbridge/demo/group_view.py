"""What ``hisbridge demo --group`` adds to the demo's screen: the counts per institution.

Read from the gateway's store, as the console's dashboard reads them: outbox entries by
institution and state, and held records (quarantine) by institution; a record whose
organisation code names no configured institution is held without one ("unroutable").
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from rich.console import Group, RenderableType
from rich.table import Table
from sqlalchemy import Engine, func, select

from hisbridge.demo.view import DemoView, Snapshot
from hisbridge.institutions import Institution

__all__ = ["GroupView", "InstitutionCounts", "institution_counts"]

_WAITING = ("pending", "in_flight", "retry_wait")


@dataclass(slots=True)
class InstitutionCounts:
    """One institution's outbox entries and held records (``org_code`` '' = unroutable)."""

    org_code: str
    name: str
    frontend: str
    delivered: int = 0
    waiting: int = 0
    dead: int = 0
    held: int = 0


def institution_counts(engine: Engine, institutions: Sequence[Institution]
                       ) -> list[InstitutionCounts]:
    """Each institution's counts, then the unroutable records held (no institution)."""
    from hisbridge.store.schema.outbox import outbox, quarantine

    out = {i.org_code: InstitutionCounts(i.org_code, i.name, i.frontend.base_url)
           for i in institutions}
    unroutable = InstitutionCounts("", "无法路由 unroutable", "—")
    with engine.connect() as conn:
        states = conn.execute(select(outbox.c.institution, outbox.c.state, func.count())
                              .group_by(outbox.c.institution, outbox.c.state)).all()
        held = conn.execute(select(quarantine.c.institution, func.count())
                            .group_by(quarantine.c.institution)).all()
    for org, state, n in states:
        counts = out.get(org or "", unroutable)
        if state == "delivered":
            counts.delivered += n
        elif state in _WAITING:
            counts.waiting += n
        elif state == "dead":
            counts.dead += n
    for org, n in held:
        out.get(org or "", unroutable).held += n
    return [*out.values(), unroutable]


class GroupView(DemoView):
    """The demo's counters plus a line per institution."""

    per_institution: list[InstitutionCounts]

    async def read(self, http: httpx.AsyncClient) -> Snapshot:
        snap = await super().read(http)
        self.per_institution = await asyncio.to_thread(
            institution_counts, self.demo.gateway.engine, self.demo.institutions)
        return snap

    def table(self, snap: Snapshot) -> RenderableType:
        view = Table(title="各机构 per institution（按 org_code 路由 routed by org_code）")
        for col in ("机构 institution", "机构代码 org_code", "前置软件 front-end",
                    "已投递 delivered", "排队 waiting", "死信 dead", "隔离 held"):
            view.add_column(col, justify="left" if "机构" in col or "前置" in col else "right")
        for c in getattr(self, "per_institution", []):
            view.add_row(c.name, c.org_code or "—", c.frontend.rpartition("/")[2],
                         *(f"{v:,}" for v in (c.delivered, c.waiting, c.dead, c.held)))
        return Group(super().table(snap), view)

    def print_summary(self) -> None:
        self.console.print("各机构已投递 delivered per institution:")
        for c in getattr(self, "per_institution", []):
            self.console.print(
                f"  机构 institution {c.org_code or '—'} {c.name}: 已投递 delivered {c.delivered}, "
                f"排队 waiting {c.waiting}, 死信 dead {c.dead}, 隔离 held {c.held} "
                f"→ 前置软件 front-end {c.frontend}", soft_wrap=True, highlight=False)
        super().print_summary()
