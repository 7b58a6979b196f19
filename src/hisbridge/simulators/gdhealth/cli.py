"""``hisbridge simulate gdhealth``: run the provincial platform simulator."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("gdhealth")
    def gdhealth(
        port: int = typer.Option(8900, help="端口 / port (127.0.0.1)"),
        host: str = typer.Option("127.0.0.1", help="监听地址 / bind address"),
        config: Path | None = typer.Option(None, "-c", "--config", help="hisbridge 配置文件"),
        seed: int = typer.Option(20260101, help="合成数据种子 / seed of the synthetic residents"),
        residents: int = typer.Option(12, help="合成居民数 / number of residents"),
    ) -> None:
        """广东健康档案互通系统模拟器 / the provincial platform simulator (api.md Part A)."""
        import uvicorn

        from hisbridge.settings import load_settings
        from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app

        settings = load_settings(config)
        sim = create_gdhealth_sim_app(settings.gdhealth, seed=seed, residents=residents)
        typer.echo(f"gdhealth simulator on http://{host}:{port}  (/sim/residents lists residents)")
        uvicorn.run(sim, host=host, port=port, log_level="warning")
