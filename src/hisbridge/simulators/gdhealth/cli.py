"""``hisbridge simulate gdhealth``: run the provincial platform simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("gdhealth")
    def gdhealth(
        port: Annotated[int, typer.Option(help="端口 / port")] = 8900,
        host: Annotated[str, typer.Option(help="监听地址 / bind address")] = "127.0.0.1",
        config: Annotated[Path | None, typer.Option("-c", "--config", help="配置文件")] = None,
        seed: Annotated[int, typer.Option(help="合成数据种子 / seed")] = 20260101,
        residents: Annotated[int, typer.Option(help="合成居民数 / residents")] = 12,
    ) -> None:
        """广东健康档案互通系统模拟器 / the provincial platform simulator (api.md Part A)."""
        import uvicorn

        from hisbridge.settings import load_settings
        from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app

        settings = load_settings(config)
        sim = create_gdhealth_sim_app(settings.gdhealth, seed=seed, residents=residents)
        typer.echo(f"gdhealth simulator on http://{host}:{port}  (/sim/residents lists residents)")
        uvicorn.run(sim, host=host, port=port, log_level="warning")
