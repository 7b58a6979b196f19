"""``hisbridge init DIR``: write a worked example configuration for the synthetic HIS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["init"]

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
    from hisbridge.mapping.example import write_example
    from hisbridge.settings import load_settings

    written = write_example(folder, his_url=his_url, frontend_url=frontend_url,
                            store_url=store_url, force=force)
    config = written[0]
    source = load_settings(config).his.source_url
    console.print(f"已生成 {len(written)} 个文件 wrote {len(written)} files in {folder}")
    console.print(f"密钥 secrets (random; --force keeps usable ones) in {config} (0600): web.secret_key, "
                  "push.token, gdhealth.partner_secret/callback_secret/sm4_key — docs/security.md",
                  highlight=False, soft_wrap=True)
    console.print("下一步 next:\n"
                  f"  hisbridge simulate his --db {source}    # 模拟 HIS（示例）\n"
                  f"  hisbridge check -c {config}", highlight=False, soft_wrap=True)
