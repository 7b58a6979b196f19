"""``hisbridge sso ...``: single sign-on into the front-end client, and widget links."""

from __future__ import annotations

import asyncio
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hisbridge.settings import load_settings

app = typer.Typer(help="单点登录与预警页面 / SSO into the front-end client, widget links",
                  no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="配置文件 YAML")]
OrgOption = Annotated[str | None, typer.Option(
    "--org", help="医共体：医生所在机构的机构代码（institutions[].org_code；单一机构时可省略）")]


@app.command("launch")
def launch(
    user: Annotated[str, typer.Option("--user", "-u", help="医生工号 base_user.id")],
    config: ConfigOption = None,
    client: Annotated[str | None, typer.Option(help="客户端地址，默认 interaction.client.base_url")
                      ] = None,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="打开浏览器")] = True,
    msg: Annotated[str | None, typer.Option(
        "--msg", help="去处理的预警 msgId：配置了 interaction.client.deep_link_template 时直接打开"
                      "该患者的就诊与报告卡")] = None,
    dept: Annotated[str | None, typer.Option(
        "--dept", "-d", help="科室代码（--msg 为科室预警时）")] = None,
    org: OrgOption = None,
) -> None:
    """C/S 工作站：为医生单点登录前置软件客户端并打开会话页面（或某条预警的患者就诊）。"""
    from hisbridge.runtime.gateway import message_settings
    from hisbridge.store.engine import make_engine
    from hisbridge.warnings.services import launch_sso

    settings = load_settings(config)
    engine = make_engine(settings.store.url)
    try:
        outcome = asyncio.run(launch_sso(message_settings(settings), engine, user,
                                         client_base_url=client, msg_id=msg, dept_code=dept,
                                         org_code=org))
    finally:
        engine.dispose()
    if not outcome.ok or not outcome.url:
        err_console.print(f"[bold red]单点登录失败:[/] {outcome.message or '客户端未返回会话地址'}",
                          soft_wrap=True)
        raise typer.Exit(1)
    console.print(outcome.url, soft_wrap=True)
    if open_browser:
        webbrowser.open(outcome.url)


@app.command("widget-url")
def widget_url_command(
    user: Annotated[str, typer.Option("--user", "-u", help="医生工号 base_user.id")],
    dept: Annotated[str | None, typer.Option("--dept", "-d", help="科室代码")] = None,
    config: ConfigOption = None,
    org: OrgOption = None,
) -> None:
    """打印医生预警提醒页面的签名链接（供 HIS 联调；医共体时用 --org 指明机构）。"""
    from hisbridge.web.widgets import print_widget_url

    print_widget_url(load_settings(config), user, dept, org_code=org)
