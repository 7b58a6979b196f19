"""What ``hisbridge demo`` shows: the URLs, live counters, and a summary at the end."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table

__all__ = ["DemoView", "Snapshot"]


@dataclass(slots=True)
class Snapshot:
    """One reading of the counters."""

    his_visits: int = 0
    accepted: int = 0
    delivered: int = 0
    waiting: int = 0
    dead: int = 0
    quarantined: int = 0
    frontend_rows: int = 0
    warnings: int = 0
    warning_types: dict[str, int] = field(default_factory=dict)
    polled: int = 0


class DemoView:
    """Reads the demo's parts every second and draws them."""

    def __init__(self, demo: Any, console: Console) -> None:
        self.demo = demo
        self.console = console
        self.last = Snapshot()
        self.started = time.monotonic()
        self.widget_for: str | None = None

    def print_urls(self) -> None:
        self.console.print("[bold]hisbridge 演示 demo[/] — 全部为合成数据 all data is synthetic")
        for name, url in self.demo.urls.items():
            self.console.print(f"  {name}: {url}", soft_wrap=True, highlight=False)
        self.console.print("按 Ctrl-C 停止 / press Ctrl-C to stop")

    async def read(self, http: httpx.AsyncClient) -> Snapshot:
        # the gauges /metrics reads: waiting entries now, finished ones as last recounted
        gauges = self.demo.gateway.app.state.outbox_gauges
        status = await asyncio.to_thread(gauges.read, self.demo.clock.now())
        snap = Snapshot(his_visits=int(self.demo.live.total.get("visits", 0)))
        snap.delivered = status.total("delivered")
        snap.waiting = sum(status.total(s) for s in ("pending", "in_flight", "retry_wait"))
        snap.dead = status.total("dead")
        snap.accepted = snap.delivered + snap.waiting + snap.dead
        snap.quarantined = sum(status.quarantined.values())
        for port in self.demo.frontend_ports():
            await self._read_frontend(http, f"http://127.0.0.1:{port}", snap)
        snap.polled = await asyncio.to_thread(self._polled)
        return snap

    async def _read_frontend(self, http: httpx.AsyncClient, base: str, snap: Snapshot) -> None:
        """Add a front-end simulator's rows and warnings to ``snap``."""
        with_errors_ignored = await _get_json(http, f"{base}/sim/tables")
        if isinstance(with_errors_ignored, dict):
            snap.frontend_rows += sum(int(v) for v in with_errors_ignored.values())
        kinds = await _get_json(http, f"{base}/sim/messages/summary")  # not every message
        if isinstance(kinds, dict):
            for kind, n in kinds.items():
                snap.warning_types[str(kind)] = snap.warning_types.get(str(kind), 0) + int(n)
            snap.warnings = sum(snap.warning_types.values())

    def _polled(self) -> int:
        """Warnings the gateway has polled; prints a doctor's widget URL once one has some."""
        from sqlalchemy import func, select

        from hisbridge.store.schema.warnings import warning_messages as messages

        with self.demo.gateway.engine.connect() as conn:
            count = int(conn.execute(select(func.count()).select_from(messages)).scalar_one())
            if count and self.widget_for is None:
                first = conn.execute(select(messages.c.user_id, messages.c.dept_code,
                                            messages.c.institution)
                                     .where(messages.c.user_id.is_not(None)).limit(1)).first()
                if first is not None:
                    self._print_widget(first[0], first[1], first[2])
        return count

    def _print_widget(self, user_id: str, dept_code: str | None, org_code: str | None) -> None:
        """``org_code``: the doctor's institution (a group's; None for a single hospital)."""
        from hisbridge.web.widgets import widget_url

        self.widget_for = user_id
        url = widget_url(self.demo.settings, user_id, dept_code, org_code=org_code,
                         now=self.demo.clock.now().timestamp())
        self.console.print(f"  预警提醒页面 warning widget (医生 doctor {user_id}): {url}",
                           soft_wrap=True, highlight=False)

    def table(self, snap: Snapshot) -> RenderableType:
        view = Table(title=f"hisbridge 演示 · 运行 {time.monotonic() - self.started:,.0f} 秒")
        for col in ("已接收 accepted", "已投递 delivered", "排队 waiting", "死信 dead",
                    "隔离 quarantined", "前置软件 rows", "预警 warnings", "已拉取 polled"):
            view.add_column(col, justify="right")
        view.add_row(*(f"{v:,}" for v in (snap.accepted, snap.delivered, snap.waiting, snap.dead,
                                          snap.quarantined, snap.frontend_rows, snap.warnings,
                                          snap.polled)))
        return view

    async def run(self, stop: asyncio.Event, duration: float | None) -> None:
        deadline = None if duration is None else time.monotonic() + duration
        async with httpx.AsyncClient(timeout=5) as http:
            live = Live(self.table(self.last), console=self.console, refresh_per_second=2) \
                if self.console.is_terminal else None
            with live or _nothing():
                while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                    self.last = await self.read(http)
                    if live is not None:
                        live.update(self.table(self.last))
                    elif int(time.monotonic() - self.started) % 10 == 0:
                        self.console.print(self.table(self.last))
                    with _suppress_timeout():
                        await asyncio.wait_for(stop.wait(), 1.0)

    def print_summary(self) -> None:
        self.console.print(self.table(self.last))
        kinds = "，".join(f"{k} {n}" for k, n in sorted(self.last.warning_types.items())) or "无"
        self.console.print(f"前置软件产生的预警 warnings from the front-end: {self.last.warnings}"
                           f"（{kinds}）; 网关已拉取 polled by the gateway: {self.last.polled}")
        self.console.print("演示已停止 demo stopped")


async def _get_json(http: httpx.AsyncClient, url: str) -> Any:
    try:
        response = await http.get(url)
        return response.json()
    except (httpx.HTTPError, ValueError):
        return None


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


class _suppress_timeout:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, *_: object) -> bool:
        return kind is TimeoutError
