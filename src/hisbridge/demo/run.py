"""``hisbridge demo``: the whole product in one process, nothing to install.

A synthetic hospital in SQLite (yesterday's full day, then live activity), the
national front-end simulator and its doctor-PC client, the Guangdong provincial simulator, and
the gateway itself (store in SQLite, HIS polling on fast schedules, delivery, consent service,
viewer, console) — each on its own loopback port. It prints the URLs, shows live counters and
stops cleanly on Ctrl-C or after ``--duration`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from rich.console import Console

from hisbridge._clock import CHINA_TZ, Clock, system_clock

__all__ = ["DemoPorts", "run_demo"]

DEMO_LICENSE = "SIM-LICENSE-0001"


@dataclass(frozen=True, slots=True)
class DemoPorts:
    gateway: int = 8700
    frontend: int = 8881
    client: int = 18881
    gdhealth: int = 8900
    shared_frontend: int = 8882  # --group: the front-end the township centres share


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the demo (several run in one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _server(app: Any, port: int) -> _QuietServer:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    return _QuietServer(config)


def _write_project(data_dir: Path, ports: DemoPorts, today: datetime) -> Path:
    """The worked-example project, tuned for a lively demo (fast schedules, local simulators).

    Its secrets are random, made on the first run and kept by later ones (per data folder)."""
    from hisbridge._files import write_private
    from hisbridge.project.example import write_example

    his_url = f"sqlite:///{data_dir / 'his.db'}"
    config = write_example(data_dir / "project", his_url=his_url,
                           frontend_url=f"http://127.0.0.1:{ports.frontend}",
                           store_url=f"sqlite:///{data_dir / 'store.db'}", force=True)[0]
    values = yaml.safe_load(config.read_text("utf-8"))
    values.setdefault("his", {}).update(
        realtime_interval_s=3, initial_since=(today - timedelta(days=1)).isoformat())
    values.setdefault("frontend", {})["license"] = DEMO_LICENSE
    values.setdefault("web", {}).update(port=ports.gateway, metrics_recount_s=5.0)
    values.setdefault("interaction", {}).update(
        client={"base_url": f"http://127.0.0.1:{ports.client}"},
        poller={"interval_s": 2.0},
        widget={"public_base_url": f"http://127.0.0.1:{ports.gateway}"})
    values.setdefault("gdhealth", {}).update(
        org_name="示例市第一人民医院",  # synthetic: the name patients read in their SMS
        base_url=f"http://127.0.0.1:{ports.gdhealth}",
        callback_url=f"http://127.0.0.1:{ports.gateway}/api/v1/consents/callback")
    write_private(config, yaml.safe_dump(values, allow_unicode=True, sort_keys=False))
    return config


def _build_hospital(data_dir: Path, now: datetime, console: Console) -> Any:
    """Yesterday's full day, once (today's activity is added live); later runs keep the data."""
    from hisbridge.simulators.his import build_day
    from hisbridge.store.engine import make_engine

    engine = make_engine(f"sqlite:///{data_dir / 'his.db'}")
    marker = data_dir / "his.built"
    if not marker.exists() or not _his_is_current(engine):
        with console.status("生成模拟医院数据 building the synthetic hospital…"):
            build_day(engine, (now - timedelta(days=1)).date(), "small", seed=7, reset=True)
        marker.write_text(now.isoformat(), "utf-8")
    return engine


def _his_is_current(engine: Any) -> bool:
    """Does the kept synthetic HIS have today's shape? (The worked-example mappings read
    ``dept_dict.org_code``, added for hospital groups; an older demo folder's HIS is rebuilt.)"""
    from sqlalchemy import inspect

    columns = inspect(engine).get_columns("dept_dict") if inspect(engine).has_table("dept_dict") else []
    return any(c["name"] == "org_code" for c in columns)


class _Demo:
    """The running parts and their servers."""

    def __init__(self, data_dir: Path, ports: DemoPorts, clock: Clock, console: Console) -> None:
        self.data_dir, self.ports, self.clock, self.console = data_dir, ports, clock, console
        self.servers: list[_QuietServer] = []
        self.tasks: list[asyncio.Task[Any]] = []
        self.urls: dict[str, str] = {}

    def build(self) -> None:
        from hisbridge.runtime.gateway import assemble
        from hisbridge.settings import load_settings
        from hisbridge.simulators.frontend import ClientSimConfig, FrontendSimConfig, create_frontend_app
        from hisbridge.simulators.frontend.client import create_client_app
        from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app
        from hisbridge.simulators.his import LiveActivity

        now = self.clock.now().astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0)
        self.his = _build_hospital(self.data_dir, now, self.console)
        config = _write_project(self.data_dir, self.ports, now.replace(hour=0, minute=0, second=0))
        self.config = config
        self.settings = load_settings(config)
        p, local = self.ports, "http://127.0.0.1"
        self.frontend = create_frontend_app(
            FrontendSimConfig(report_delay_s=15.0, licenses=(DEMO_LICENSE,)),
            clock=self.clock, store_url=f"sqlite:///{self.data_dir / 'frontend.db'}")
        client = create_client_app(ClientSimConfig(frontend_url=f"{local}:{p.frontend}",
                                                   public_url=f"{local}:{p.client}"))
        self.gd_sim = create_gdhealth_sim_app(self.settings.gdhealth, clock=self.clock)
        # The demo's store is its own synthetic data: a newer hisbridge upgrades it in place.
        self.gateway = assemble(self.settings, config=config, clock=self.clock, t0_every_s=15.0,
                                upgrade_store=True)
        self.live = LiveActivity(self.his, seed=11, clock=self.clock)
        for app, port in ((self.frontend, p.frontend), (client, p.client),
                          (self.gd_sim, p.gdhealth), (self.gateway.app, p.gateway)):
            self.servers.append(_server(app, port))

    async def start(self) -> None:
        self.tasks = [asyncio.create_task(s.serve()) for s in self.servers]
        deadline = asyncio.get_running_loop().time() + 20
        while not all(s.started for s in self.servers):
            if any(t.done() for t in self.tasks) or asyncio.get_running_loop().time() > deadline:
                raise SystemExit("演示启动失败：端口可能已被占用 demo failed to start (ports in use?)")
            await asyncio.sleep(0.05)
        self.tasks.append(asyncio.create_task(self._live()))
        await self._collect_urls()

    async def _live(self) -> None:
        while True:
            await asyncio.sleep(3)
            await asyncio.to_thread(self.live.step)

    def frontend_ports(self) -> tuple[int, ...]:
        """The front-end simulators' ports (the group demo runs two)."""
        return (self.ports.frontend,)

    def console_login(self) -> tuple[str, str]:
        """A demo console administrator; the password is made once and kept in the data folder."""
        from hisbridge._files import write_private
        from hisbridge.ops.passwords import new_password
        from hisbridge.ops.users import UserStore

        secret = self.data_dir / "console-password.txt"
        if not secret.exists():
            write_private(secret, new_password("demo"))
        password = secret.read_text("utf-8").strip()
        users = UserStore(self.gateway.engine, clock=self.clock)
        if users.get("demo") is None:
            users.add("demo", "admin", password)
        return "demo", password

    async def _collect_urls(self) -> None:
        from hisbridge.simulators.gdhealth.demo import demo_viewer_url

        p, local = self.ports, "http://127.0.0.1"
        base = f"{local}:{p.gateway}"
        user, password = await asyncio.to_thread(self.console_login)
        self.urls = {
            "网关 gateway (console)": f"{base}/console/  登录 login: {user} / {password}",
            "健康检查 health": f"{base}/healthz",
            "前置软件模拟器 front-end simulator": f"{local}:{p.frontend}/sim/tables",
            "医生端模拟器 doctor-PC client": f"{local}:{p.client}/client/secretKey?license="
                                            f"{DEMO_LICENSE}",
            "省平台模拟器 provincial simulator": f"{local}:{p.gdhealth}/sim/residents",
            "HIS 接口令牌 push token (Bearer)": f"{self.config} → push.token",
        }
        gd = self.gateway.gdhealth
        if gd is not None:
            self.urls["档案调阅 shared-documents viewer (demo patient)"] = await demo_viewer_url(
                gd, self.gd_sim, self.settings, base, self.clock)

    async def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        for task in self.tasks[len(self.servers):]:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.his.dispose()


async def run_demo(data_dir: Path, *, ports: DemoPorts = DemoPorts(), duration: float | None = None,
                   console: Console | None = None, clock: Clock = system_clock,
                   group: bool = False) -> int:
    """Run the demo until Ctrl-C / SIGTERM or ``duration`` seconds; 0 when it stopped cleanly.
    ``group``: the county group's (``hisbridge.demo.group``)."""
    from hisbridge._files import private_folder
    from hisbridge.demo.view import DemoView

    console = console or Console()
    private_folder(data_dir)  # stores, generated secrets and the console password live here
    view_of: type[DemoView] = DemoView
    if group:
        from hisbridge.demo.group import GroupDemo
        from hisbridge.demo.group_view import GroupView

        demo: _Demo = GroupDemo(data_dir.resolve(), ports, clock, console)
        view_of = GroupView
    else:
        demo = _Demo(data_dir.resolve(), ports, clock, console)
    demo.build()
    try:
        await demo.start()
    except BaseException:
        await demo.stop()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    view = view_of(demo, console)
    view.print_urls()
    try:
        await view.run(stop, duration)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await demo.stop()
    view.print_summary()
    return 0
