"""``hisbridge user``: console users (add, change password, role or institutions, unlock, list).

A user may be scoped to institutions (``--institution CODE``, repeatable): a hospital group's
township-centre operator then sees and acts on its institution's data only; without it a user
sees every institution.

Passwords are read from a hidden prompt (asked twice) or, for scripts, from standard input
with ``--password-stdin``; never from the command line, where they would land in the shell
history.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
InstitutionsOpt = Annotated[list[str] | None, typer.Option(
    "--institution", help="只看这些机构（可重复）scope to this institution (repeatable); "
                          "省略 omitted: every institution")]


@contextmanager
def _stores(config: Path | None) -> Iterator[tuple[UserStore, SessionStore]]:
    """The users and sessions of the store, closed when the command is done."""
    settings = load_settings(config)
    engine = open_store(settings.store.url, config)
    try:
        yield (UserStore(engine, lockout=settings.console.lockout(), argon2=settings.console.argon2),
               SessionStore(engine))
    finally:
        engine.dispose()


def _served(config: Path | None, codes: list[str] | None) -> list[str]:
    """``codes``, each one the gateway serves (else refused, naming those it does)."""
    served = [i.org_code for i in load_settings(config).institution_list()]
    unknown = [c for c in codes or [] if c not in served]
    if unknown:
        raise typer.BadParameter(f"未知机构 unknown institution: {', '.join(unknown)}（可选 served: "
                                 f"{', '.join(served)}）", param_hint="--institution")
    return list(codes or [])


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("密码 password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(name: Annotated[str, typer.Argument(help="user name, e.g. zhangsan")],
        role: Annotated[str, typer.Option(help="admin | operator | auditor")],
        password_stdin: StdinOpt = False, config: ConfigOpt = None,
        institution: InstitutionsOpt = None) -> None:
    """添加用户 / add a console user with a role (and the institutions it may see)."""
    codes = _served(config, institution)
    with _stores(config) as (users, _):
        user = users.add(name, role, _password(password_stdin), codes)
    console.print(f"已添加 added: {user.name} ({user.role}) {_scope_text(user.institutions)}")


@app.command("institutions")
def institutions(name: Annotated[str, typer.Argument(help="user name")],
                 institution: InstitutionsOpt = None, config: ConfigOpt = None) -> None:
    """修改用户的机构范围 / scope a user to institutions (none: every one); ends its sessions."""
    codes = _served(config, institution)
    with _stores(config) as (users, sessions):
        users.set_institutions(name, codes)
        sessions.end_all(name)
    console.print(f"机构范围已修改 institutions changed: {name} -> {_scope_text(tuple(codes))}")


def _scope_text(codes: tuple[str, ...]) -> str:
    return ",".join(codes) if codes else "全部机构 every institution"


@app.command("passwd")
def passwd(name: Annotated[str, typer.Argument(help="user name")],
           password_stdin: StdinOpt = False, config: ConfigOpt = None) -> None:
    """修改密码并结束该用户的所有会话 / change a password and end the user's sessions."""
    with _stores(config) as (users, sessions):
        users.set_password(name, _password(password_stdin))
        ended = sessions.end_all(name)
    console.print(f"密码已修改 password changed: {name}; 结束会话 sessions ended: {ended}")


@app.command("role")
def role(name: Annotated[str, typer.Argument(help="user name")],
         new_role: Annotated[str, typer.Argument(metavar="ROLE", help="admin | operator | auditor")],
         config: ConfigOpt = None) -> None:
    """修改角色 / change a user's role (ends their sessions)."""
    with _stores(config) as (users, sessions):
        if users.get(name) is None:
            raise typer.BadParameter(f"用户不存在 no such user: {name}", param_hint="NAME")
        users.set_role(name, new_role)
        sessions.end_all(name)
    console.print(f"角色已修改 role changed: {name} -> {new_role}")


@app.command("unlock")
def unlock(name: Annotated[str, typer.Argument(help="user name")], config: ConfigOpt = None) -> None:
    """解除登录锁定 / lift the login lock-out of a user now (locks also expire by themselves)."""
    with _stores(config) as (users, _):
        users.unlock(name)
    console.print(f"已解锁 unlocked: {name}")


@app.command("list")
def list_users(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """列出用户 / list console users."""
    with _stores(config) as (users, _):
        found = users.all()
    zone = load_settings(config).display_zone()
    listing = Listing("控制台用户 console users",
                      ("name", "role", "角色", "机构 institutions", "created", "password changed"))
    for u in found:
        label = ROLE_LABELS.get(u.role, (u.role, u.role))[0]  # type: ignore[call-overload]
        listing.rows.append((u.name, u.role, label, ",".join(u.institutions),
                             format_local(u.created_at, zone),
                             format_local(u.password_changed_at, zone)))
    emit(listing, as_json=as_json, console=console)
