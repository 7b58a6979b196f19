"""``hisbridge simulate frontend`` and ``hisbridge simulate client``: run a simulator."""

from __future__ import annotations

from typing import Annotated

import typer

from hisbridge.simulators.frontend.config import (
    ClientSimConfig,
    FaultSettings,
    FrontendSimConfig,
)

__all__ = ["register"]

_DEFAULT_STORE = "sqlite:///hisbridge-frontend-sim.db"
_DEFAULT_LICENSE = "SIM-LICENSE-0001"


def frontend(
    port: Annotated[int, typer.Option(help="端口 / port")] = 8881,
    host: Annotated[str, typer.Option(help="监听地址 / listen address")] = "127.0.0.1",
    strict: Annotated[bool, typer.Option(
        "--strict/--lenient", help="2026 严格校验 / 2025 宽松校验")] = False,
    store: Annotated[str, typer.Option(help="存储 / store URL (SQLite or PostgreSQL)")]
        = _DEFAULT_STORE,
    seed: Annotated[int, typer.Option(help="故障随机种子 / fault seed")] = 0,
    license_code: Annotated[list[str] | None, typer.Option(
        "--license", help=f"机构授权码 / accepted licence code(s) [{_DEFAULT_LICENSE}]")] = None,
    report_delay: Annotated[float, typer.Option(
        help="漏报判定延时（秒）/ seconds a diagnosis waits for its card")] = 300.0,
    reset: Annotated[bool, typer.Option(help="启动时清空存储 / empty the store at start")] = False,
    access_log: Annotated[bool, typer.Option(help="uvicorn 访问日志 / access log")] = False,
) -> None:
    """模拟国家传染病智能监测预警前置软件服务端 / run the front-end server simulator."""
    import uvicorn

    from hisbridge.simulators.frontend.app import create_frontend_app

    config = FrontendSimConfig(
        mode="strict" if strict else "lenient",
        licenses=tuple(license_code or [_DEFAULT_LICENSE]), report_delay_s=report_delay,
        faults=FaultSettings(seed=seed))
    app = create_frontend_app(config, store_url=store)
    if reset:
        app.sim.reset()
    typer.echo(f"前置软件模拟器 front-end simulator: http://{host}:{port} "
               f"({config.mode}, store {store})")
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="warning")


def client(
    port: Annotated[int, typer.Option(help="端口 / port")] = 18881,
    host: Annotated[str, typer.Option(help="监听地址 / listen address")] = "127.0.0.1",
    frontend_url: Annotated[str, typer.Option(
        "--frontend", help="前置软件服务端 / the front-end server URL")] = "http://127.0.0.1:8881",
) -> None:
    """模拟医生电脑上的前置软件客户端（单点登录）/ run the doctor-PC client simulator."""
    import uvicorn

    from hisbridge.simulators.frontend.client import create_client_app

    config = ClientSimConfig(frontend_url=frontend_url, public_url=f"http://{host}:{port}")
    typer.echo(f"前置软件客户端模拟器 client simulator: http://{host}:{port} -> {frontend_url}")
    uvicorn.run(create_client_app(config), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add ``frontend`` and ``client`` to the ``simulate`` group."""
    app.command("frontend")(frontend)
    app.command("client")(client)
