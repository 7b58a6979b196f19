"""``hisbridge init DIR``: write a worked example configuration for the synthetic HIS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hisbridge.settings import Settings

__all__ = ["init", "next_steps"]

console = Console()


def init(
    folder: Annotated[Path, typer.Argument(help="目标目录 / where to write the project")],
    his_url: Annotated[str | None, typer.Option("--his-url", help="HIS 数据库 URL")] = None,
    frontend_url: Annotated[str | None, typer.Option("--frontend-url", help="前置软件地址")]
        = None,
    store_url: Annotated[str | None, typer.Option("--store-url", help="网关存储 URL")] = None,
    force: Annotated[bool, typer.Option(help="覆盖已有文件 / overwrite")] = False,
) -> None:
    """生成配置与映射示例 / write hisbridge.yaml, one SQL per national table, code maps."""
    from hisbridge.project.example import write_example
    from hisbridge.settings import load_settings

    written = write_example(folder, his_url=his_url, frontend_url=frontend_url,
                            store_url=store_url, force=force)
    config = written[0]
    console.print(f"已生成 {len(written)} 个文件 wrote {len(written)} files in {folder}")
    console.print(f"密钥 secrets (random; --force keeps usable ones) in {config} (0600): web.secret_key, "
                  "push.token, gdhealth.partner_secret/callback_secret/sm4_key — docs/security.md",
                  highlight=False, soft_wrap=True)
    console.print(next_steps(config, load_settings(config)), highlight=False, soft_wrap=True,
                  markup=False)


def next_steps(config: Path, settings: Settings) -> str:
    """What to do after ``init``: the port, the platforms that are on, the licence, the
    console's first user, then check and run."""
    web, fe, gd = settings.web, settings.frontend, settings.gdhealth
    licence = "已设置 set" if fe.license else \
        "未设置 not set：预警消息与单点登录需要前置软件授权码 frontend.license（或 " \
        "HISBRIDGE_FRONTEND__LICENSE）/ warnings and SSO need it"
    provincial = f"开启 on（{gd.base_url}）" if gd.enabled else "关闭 off"
    if gd.enabled and gd.problems():
        provincial += "；" + "; ".join(gd.problems())
    return "\n".join([
        "下一步 next steps:",
        f"  网关端口 gateway: http://{web.host}:{web.port}（控制台 console /console，"
        "HIS 推送 push /api/v1/events/{table}）",
        f"  前置软件 front-end: 开启 on（{fe.mode}，{fe.base_url}）",
        f"  前置软件授权码 licence: {licence}",
        f"  广东健康档案互通 gdhealth: {provincial}",
        f"  hisbridge simulate his --db {settings.his.source_url}    # 模拟 HIS（示例）",
        f"  hisbridge check -c {config}    # 试运行映射，不发送 dry run, nothing sent",
        f"  hisbridge user add admin --role admin -c {config}    # 控制台首个用户 first user",
        f"  hisbridge run -c {config}    # 运行网关 run the gateway",
    ])
