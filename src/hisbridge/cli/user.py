"""``hisbridge user``: console users (add, change password, change role, unlock, list).

Passwords are read from a hidden prompt (asked twice) or, for scripts, from standard input
with ``--password-stdin``; never from the command line, where they would land in the shell
history.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hisbridge._clock import format_local
from hisbridge.cli.listing import JsonOpt, Listing, emit
from hisbridge.ops.roles import ROLE_LABELS
from hisbridge.ops.sessions import SessionStore
from hisbridge.ops.users import UserStore
from hisbridge.settings import load_settings
from hisbridge.store.migrate import open_store

__all__ = ["app"]

app = typer.Typer(help="控制台用户 / console users", no_args_is_help=True)
console = Console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="hisbridge.yaml")]
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]


def _stores(config: Path | None) -> tuple[UserStore, SessionStore]:
    settings = load_settings(config)
    engine = open_store(settings.store.url, config)
    users = UserStore(engine, lockout=settings.console.lockout(), argon2=settings.console.argon2)
    return users, SessionStore(engine)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("密码 password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(name: Annotated[str, typer.Argument(help="user name, e.g. zhangsan")],
        role: Annotated[str, typer.Option(help="admin | operator | auditor")],
        password_stdin: StdinOpt = False, config: ConfigOpt = None) -> None:
    """添加用户 / add a console user with a role."""
    users, _ = _stores(config)
    user = users.add(name, role, _password(password_stdin))
    console.print(f"已添加 added: {user.name} ({user.role})")


@app.command("passwd")
def passwd(name: Annotated[str, typer.Argument(help="user name")],
           password_stdin: StdinOpt = False, config: ConfigOpt = None) -> None:
    """修改密码并结束该用户的所有会话 / change a password and end the user's sessions."""
    users, sessions = _stores(config)
    users.set_password(name, _password(password_stdin))
    ended = sessions.end_all(name)
    console.print(f"密码已修改 password changed: {name}; 结束会话 sessions ended: {ended}")


@app.command("role")
def role(name: Annotated[str, typer.Argument(help="user name")],
         new_role: Annotated[str, typer.Argument(metavar="ROLE", help="admin | operator | auditor")],
         config: ConfigOpt = None) -> None:
    """修改角色 / change a user's role (ends their sessions)."""
    users, sessions = _stores(config)
    if users.get(name) is None:
        raise typer.BadParameter(f"用户不存在 no such user: {name}", param_hint="NAME")
    users.set_role(name, new_role)
    sessions.end_all(name)
    console.print(f"角色已修改 role changed: {name} -> {new_role}")


@app.command("unlock")
def unlock(name: Annotated[str, typer.Argument(help="user name")], config: ConfigOpt = None) -> None:
    """解除登录锁定 / lift the login lock-out of a user now (locks also expire by themselves)."""
    users, _ = _stores(config)
    users.unlock(name)
    console.print(f"已解锁 unlocked: {name}")


@app.command("list")
def list_users(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """列出用户 / list console users."""
    users, _ = _stores(config)
    zone = load_settings(config).display_zone()
    listing = Listing("控制台用户 console users",
                      ("name", "role", "角色", "created", "password changed"))
    for u in users.all():
        label = ROLE_LABELS.get(u.role, (u.role, u.role))[0]  # type: ignore[call-overload]
        listing.rows.append((u.name, u.role, label, format_local(u.created_at, zone),
                             format_local(u.password_changed_at, zone)))
    emit(listing, as_json=as_json, console=console)
