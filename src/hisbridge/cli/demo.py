"""``hisbridge demo``: everything in one process on the embedded defaults."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["demo"]

_DEFAULT_DIR = Path("hisbridge-data/demo")


def demo(
    port: Annotated[int, typer.Option(help="网关端口 gateway port")] = 8700,
    frontend_port: Annotated[int, typer.Option(help="前置软件模拟器端口")] = 8881,
    client_port: Annotated[int, typer.Option(help="医生端模拟器端口")] = 18881,
    gdhealth_port: Annotated[int, typer.Option(help="省平台模拟器端口")] = 8900,
    data_dir: Annotated[Path, typer.Option(help="数据目录 data folder")] = _DEFAULT_DIR,
    duration: Annotated[float | None, typer.Option(help="运行秒数后自动停止 stop after S seconds")]
        = None,
    group: Annotated[bool, typer.Option(
        "--group", help="医共体演示：县医院 + 3 个乡镇卫生院，一个 HIS，两个前置软件 / a county "
                        "hospital and three township centres on one HIS, two front-ends")] = False,
    shared_frontend_port: Annotated[int, typer.Option(
        help="--group：乡镇卫生院共用的前置软件模拟器端口 / the centres' shared front-end")] = 8882,
) -> None:
    """演示 / run the whole product on synthetic data: HIS, simulators, gateway, console.

    数据目录可以重复使用；新版本会就地升级其中的存储 / the data folder is kept between runs, and
    a newer version upgrades its synthetic store in place (no hisbridge upgrade needed).
    --group 使用另一个数据目录（默认 hisbridge-data/demo-group）/ --group keeps its own folder.
    """
    from hisbridge.demo.run import DemoPorts, run_demo

    ports = DemoPorts(port, frontend_port, client_port, gdhealth_port, shared_frontend_port)
    if group and data_dir == _DEFAULT_DIR:
        data_dir = _DEFAULT_DIR.with_name("demo-group")
    raise typer.Exit(asyncio.run(run_demo(data_dir, ports=ports, duration=duration, group=group)))
