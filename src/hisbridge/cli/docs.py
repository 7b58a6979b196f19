"""``hisbridge docs``: regenerate the reference docs (configuration keys, commands) from the code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["Out", "app", "emit_text"]

app = typer.Typer(help="参考文档 / generate the reference docs from the code", no_args_is_help=True)
console = Console()

Out = Annotated[Path | None, typer.Option(help="write here instead of stdout")]


def emit_text(render: Callable[[], str], out: Path | None) -> None:
    """Write ``render()`` to ``out``, or to stdout without one."""
    text = render()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")
        console.print(f"wrote {out}")


@app.command("config")
def config(out: Out = None) -> None:
    """生成配置参考 / render docs/configuration.md: every settings key, env variable, default."""
    from hisbridge.settings.reference import render_configuration_markdown

    emit_text(render_configuration_markdown, out)


@app.command("cli")
def cli(out: Out = None) -> None:
    """生成命令行参考 / render docs/cli.md: every command with its arguments and options."""
    from hisbridge.cli.reference import render_cli_markdown

    emit_text(render_cli_markdown, out)
