"""``hisbridge secrets``: make a fresh value for a secret setting (docs/security.md).

``hisbridge init`` already writes one for every secret; this is for an existing deployment
(a secret ``hisbridge run`` refused, a rotation) and for secrets directories.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(help="密钥 / secrets: generate fresh values", no_args_is_help=True)


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="设置名 setting, e.g. web.secret_key, gdhealth.sm4_key")],
    secrets_dir: Annotated[Path | None, typer.Option(
        "--secrets-dir", help="写入该目录（文件名如 web__secret_key，0600）/ write a file there "
                              "for HISBRIDGE_SECRETS_DIR instead of printing")] = None,
) -> None:
    """生成一个随机密钥 / print (or write) a fresh random value in the form NAME needs."""
    from hisbridge._files import write_private
    from hisbridge.settings.secrets import new_secret

    value = new_secret(name)
    if secrets_dir is None:
        typer.echo(value)
        return
    target = write_private(secrets_dir / name.replace(".", "__"), value)
    typer.echo(f"已写入 wrote {target} (0600)")
