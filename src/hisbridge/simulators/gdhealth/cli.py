"""``hisbridge simulate gdhealth``: run the provincial platform simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hisbridge.sharing.consent.config import GdHealthSettings

__all__ = ["register"]

_SECRETS = ("partner_secret", "callback_secret", "sm4_key")


def _with_secrets(gd: GdHealthSettings) -> GdHealthSettings:
    """The platform's secrets, random for this run where the config has none (say so: a gateway
    can only talk to this simulator when both read the same ``-c`` file)."""
    from pydantic import SecretStr

    from hisbridge.settings.secrets import new_secret

    missing = {n: SecretStr(new_secret(f"gdhealth.{n}")) for n in _SECRETS
               if not getattr(gd, n).get_secret_value()}
    if missing:
        typer.echo("未配置省平台密钥，本次使用随机值；网关须用同一 -c 配置 / no gdhealth secrets "
                   "configured: random ones for this run (give -c hisbridge.yaml to share them)")
    return gd.model_copy(update=missing)


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

        gd = _with_secrets(load_settings(config).gdhealth)
        sim = create_gdhealth_sim_app(gd, seed=seed, residents=residents)
        typer.echo(f"gdhealth simulator on http://{host}:{port}  (/sim/residents lists residents)")
        uvicorn.run(sim, host=host, port=port, log_level="warning")
