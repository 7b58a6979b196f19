"""The ``hisbridge`` command: thin typer commands that call into the package."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from hisbridge.errors import HisbridgeError

__all__ = ["app", "main"]

app = typer.Typer(
    name="hisbridge",
    help="hisbridge — 医院与公共卫生平台之间的网关 / hospital gateway to public-health platforms",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _register() -> None:
    from hisbridge.cli import audit as audit_cli
    from hisbridge.cli import (
        check,
        demo,
        dictionary,
        init,
        outbox,
        reconcile,
        report,
        run,
        service,
        simulate,
        sso,
        sync,
    )
    from hisbridge.cli import secrets as secrets_cli
    from hisbridge.cli import upgrade as upgrade_cli
    from hisbridge.cli import user as user_cli

    app.add_typer(dictionary.app, name="dictionary")
    # The old name, hidden from help and docs: hospitals' scripts still call `hisbridge spec ...`.
    app.add_typer(dictionary.app, name="spec", hidden=True)
    app.add_typer(simulate.load(), name="simulate")
    app.add_typer(sso.app, name="sso")
    app.add_typer(user_cli.app, name="user")
    app.add_typer(audit_cli.app, name="audit")
    app.command("run")(run.run)
    app.command("upgrade")(upgrade_cli.upgrade)
    app.add_typer(outbox.app, name="outbox")
    app.add_typer(sync.app, name="sync")
    app.command("init")(init.init)
    app.add_typer(secrets_cli.app, name="secrets")
    app.command("check")(check.check)
    app.command("reconcile")(reconcile.reconcile)
    from hisbridge.cli import stored

    app.command("quality")(stored.quality)
    app.command("warnings")(stored.warnings)
    app.command("authorizations")(stored.authorizations)
    app.add_typer(report.app, name="report")
    app.command("demo")(demo.demo)
    app.add_typer(service.app, name="service")
    from hisbridge.cli import docs as docs_cli

    app.add_typer(docs_cli.app, name="docs")


def main() -> None:
    """Entry point: every HisbridgeError, and a store that cannot be reached, becomes one clear
    line and exit code 2 (never a traceback)."""
    import os

    from sqlalchemy.exc import DBAPIError

    from hisbridge.logs import configure_logging
    from hisbridge.store.engine import unreachable

    configure_logging(os.environ.get("HISBRIDGE_LOG_LEVEL", "WARNING"),
                      json=os.environ.get("HISBRIDGE_LOG_JSON", "") not in ("", "0", "false"))
    _register()
    try:
        app()
    except HisbridgeError as exc:
        _fail(exc)
    except DBAPIError as exc:
        store = unreachable(exc)
        if store is None:
            raise
        _fail(store)


def _fail(exc: HisbridgeError) -> None:
    # One line: soft-wrapped, and the message is not read as rich markup (``keys[0]``).
    err_console.print("[bold red]错误 error:[/] ", end="")
    err_console.print(str(exc), highlight=False, markup=False, soft_wrap=True)
    sys.exit(2)
