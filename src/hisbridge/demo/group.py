"""``hisbridge demo --group``: a county medical community (县域医共体) on one gateway.

One synthetic HIS serves a county hospital and three township health centres
(``hisbridge.simulators.his.COUNTY_GROUP``): records carry four organisation codes and some
county doctors also work at a centre. Two front-end simulators stand for the two front-end
installations a county usually has: the county hospital's own, and one at county level shared
by the three centres, which tells them apart by licence (机构授权码) and organisation code. The
gateway's ``institutions:`` config is generated like the normal demo's (random licences and
secrets, files 0600), and every record is routed to its institution's front-end.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from hisbridge._clock import CHINA_TZ
from hisbridge.demo.run import DemoPorts, _Demo, _server, _write_project
from hisbridge.simulators.his.group import COUNTY_GROUP, Member

__all__ = ["GroupDemo", "group_config"]


def _licence() -> str:
    return "SIM-" + secrets.token_hex(8).upper()


def _old_licences(config: Path) -> dict[str, str]:
    """The licences a previous run generated (kept, so the simulators' keys stay valid)."""
    try:
        old = yaml.safe_load(config.read_text("utf-8")) if config.exists() else {}
    except (OSError, yaml.YAMLError):
        return {}
    listed = old.get("institutions") if isinstance(old, dict) else None
    found = {}
    for item in listed if isinstance(listed, list) else []:
        licence = (item.get("frontend") or {}).get("license") if isinstance(item, dict) else None
        if isinstance(licence, str) and licence.startswith("SIM-"):
            found[str(item.get("org_code"))] = licence
    return found


def _frontend_of(member: Member, ports: DemoPorts) -> int:
    """The port of the front-end simulator ``member`` sends to: its own, or the shared one."""
    return ports.frontend if member.kind == "county" else ports.shared_frontend


def group_config(data_dir: Path, ports: DemoPorts, today: datetime) -> Path:
    """The demo project with an ``institutions:`` list: the county hospital on its own
    front-end, the three centres on the shared one, each with its own random licence."""
    from hisbridge._files import write_private

    config = data_dir / "project" / "hisbridge.yaml"
    kept = _old_licences(config)
    config = _write_project(data_dir, ports, today)
    values = yaml.safe_load(config.read_text("utf-8"))
    county = COUNTY_GROUP.county
    values["frontend"].update(org_code=county.org_code, org_name=county.name)
    values["frontend"].pop("license", None)  # each institution has its own, below
    values["gdhealth"]["enabled"] = False  # the group demo shows routing; see docs/group.md
    values["institutions"] = [
        {"org_code": m.org_code, "name": m.name,
         "frontend": {"base_url": f"http://127.0.0.1:{_frontend_of(m, ports)}",
                      "license": kept.get(m.org_code) or _licence()}}
        for m in COUNTY_GROUP.members]
    write_private(config, yaml.safe_dump(values, allow_unicode=True, sort_keys=False))
    return config


def _build_group_his(data_dir: Path, now: datetime, console: Console) -> Any:
    """Yesterday's full day of the group's HIS, once; later runs keep the data."""
    from hisbridge.simulators.his import build_day
    from hisbridge.store.engine import make_engine

    engine = make_engine(f"sqlite:///{data_dir / 'his.db'}")
    marker = data_dir / "his-group.built"
    if not marker.exists():
        with console.status("生成医共体模拟数据 building the county group's synthetic HIS…"):
            build_day(engine, (now - timedelta(days=1)).date(), "small", seed=7, reset=True,
                      group=COUNTY_GROUP)
        marker.write_text(now.isoformat(), "utf-8")
    return engine


class GroupDemo(_Demo):
    """The group's parts: one HIS, two front-end simulators, the doctor-PC client, the gateway."""

    def build(self) -> None:
        from hisbridge.runtime.gateway import assemble
        from hisbridge.settings import load_settings
        from hisbridge.simulators.frontend import ClientSimConfig, FrontendSimConfig, create_frontend_app
        from hisbridge.simulators.frontend.client import create_client_app
        from hisbridge.simulators.his import LiveActivity

        now = self.clock.now().astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0)
        self.his = _build_group_his(self.data_dir, now, self.console)
        self.config = group_config(self.data_dir, self.ports, now.replace(hour=0, minute=0, second=0))
        self.settings = load_settings(self.config)
        self.institutions = self.settings.institution_list()
        p, local = self.ports, "http://127.0.0.1"
        licences: dict[int, list[str]] = {p.frontend: [], p.shared_frontend: []}
        for member, institution in zip(COUNTY_GROUP.members, self.institutions, strict=True):
            if institution.licence is not None:  # each simulator accepts its institutions' own
                licences[_frontend_of(member, p)].append(institution.licence.get_secret_value())
        self.frontends: dict[int, Any] = {
            port: create_frontend_app(
                FrontendSimConfig(report_delay_s=15.0, licenses=tuple(licences[port])),
                clock=self.clock, store_url=f"sqlite:///{self.data_dir / f'frontend-{name}.db'}")
            for port, name in ((p.frontend, "county"), (p.shared_frontend, "townships"))}
        client = create_client_app(ClientSimConfig(frontend_url=f"{local}:{p.frontend}",
                                                   public_url=f"{local}:{p.client}"))
        self.gateway = assemble(self.settings, config=self.config, clock=self.clock,
                                t0_every_s=15.0, upgrade_store=True)
        self.live = LiveActivity(self.his, seed=11, clock=self.clock, group=COUNTY_GROUP)
        apps = [*self.frontends.items(), (p.client, client), (p.gateway, self.gateway.app)]
        self.servers += [_server(app, port) for port, app in apps]

    def frontend_ports(self) -> tuple[int, ...]:
        return tuple(self.frontends)

    async def _collect_urls(self) -> None:
        import asyncio

        p, local = self.ports, "http://127.0.0.1"
        base = f"{local}:{p.gateway}"
        user, password = await asyncio.to_thread(self.console_login)
        self.urls = {
            "网关 gateway (console)": f"{base}/console/  登录 login: {user} / {password}",
            "健康检查 health": f"{base}/healthz",
            "县医院前置软件模拟器 county hospital's front-end": f"{local}:{p.frontend}/sim/tables",
            "乡镇卫生院共用前置软件模拟器 the centres' shared front-end":
                f"{local}:{p.shared_frontend}/sim/tables",
            "机构配置 institutions config": f"{self.config} → institutions",
        }
        for institution in self.institutions:
            self.urls[f"{institution.name} {institution.org_code}"] = (
                f"{base}/console/?institution={institution.org_code} → {institution.frontend.base_url}")
