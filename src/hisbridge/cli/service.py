"""``hisbridge service systemd|windows``: print the files that run the gateway as a service."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hisbridge.errors import ConfigError

__all__ = ["app"]

app = typer.Typer(help="系统服务 / run the gateway as a Linux or Windows service",
                  no_args_is_help=True)
err = Console(stderr=True)

Out = Annotated[Path | None, typer.Option("--out", help="写入此文件 / write here instead of stdout")]


def _refuse_relative(options: list[str]) -> None:
    if options:
        raise ConfigError(f"{', '.join(options)} 必须是绝对路径 must be absolute paths",
                          hint="例如 e.g. --data-dir /var/lib/hisbridge, --base-dir C:\\hisbridge")


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")
        err.print(f"已写入 wrote {out}", highlight=False)


@app.command("systemd")
def systemd(
    user: Annotated[str, typer.Option(help="服务用户 / the service's own user")] = "hisbridge",
    data_dir: Annotated[str, typer.Option(help="数据目录：唯一可写 / the only writable folder")]
        = "/var/lib/hisbridge",
    config: Annotated[str, typer.Option(help="配置文件 / hisbridge.yaml")]
        = "/etc/hisbridge/hisbridge.yaml",
    executable: Annotated[str | None, typer.Option(
        "--exec", help="hisbridge 命令路径（默认：当前环境的）/ path of the hisbridge command "
                       "(default: this Python environment's)")] = None,
    out: Out = None,
) -> None:
    """打印加固的 systemd 单元 / print a hardened systemd unit, install steps as comments.

    Own user, the system read-only but the data folder, no new privileges, private /tmp, no
    home directories, restart on failure, logs to journald (docs/deploy.md).
    """
    from hisbridge.project.service_files import LinuxLayout, systemd_unit

    exe = executable or str(Path(sys.executable).parent / "hisbridge")
    layout = LinuxLayout(user, data_dir, config, exe)
    _refuse_relative(layout.relative())
    _emit(systemd_unit(layout), out)


@app.command("windows")
def windows(
    base_dir: Annotated[str, typer.Option(
        help="安装目录：venv、config、data、logs 在其下 / holds venv, config, data, logs")]
        = r"C:\hisbridge",
    out: Out = None,
) -> None:
    """生成 WinSW 服务配置与安装步骤 / print the WinSW service XML and its install steps.

    Log files rolled by size, restart on failure, a virtual service account (NT SERVICE\\hisbridge);
    the XML goes to stdout (or --out), the steps to stderr (docs/deploy.md).
    """
    from hisbridge.project.service_files import WindowsLayout, windows_steps, winsw_xml

    layout = WindowsLayout(base_dir)
    _refuse_relative([] if layout.base_dir.is_absolute() else ["--base-dir"])
    _emit(winsw_xml(layout), out)
    err.print("\n安装步骤 install steps (PowerShell as Administrator; docs/deploy.md):",
              highlight=False)
    err.print("\n".join(windows_steps(layout)), highlight=False, markup=False,
              soft_wrap=True)
