"""``hisbridge run -c FILE [--port N]``: the gateway (web + delivery workers)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from hisbridge.settings import load_settings

__all__ = ["run"]


def run(
    config: Annotated[Path, typer.Option("--config", "-c", help="配置文件 YAML config file")],
    port: Annotated[int | None, typer.Option(help="监听端口 port (default web.port)")] = None,
    host: Annotated[str | None, typer.Option(help="监听地址 host (default web.host)")] = None,
) -> None:
    """运行网关：推送接口 + 投递 / run the gateway: push API, outbox API, delivery workers.

    推送令牌也可以来自环境变量 HISBRIDGE_PUSH_TOKEN. Stop with Ctrl-C or SIGTERM: requests and
    sends in flight finish, everything else stays queued. 存储由旧版本创建时拒绝启动，先运行
    hisbridge upgrade / refuses a store an older version made (an empty one gets its schema).
    """
    from hisbridge.runtime.gateway import serve

    load_settings(config)  # a clear error before anything starts
    asyncio.run(serve(config, host=host, port=port))
