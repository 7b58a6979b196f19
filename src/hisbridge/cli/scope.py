"""``--institution CODE`` on the commands that list or act on stored data.

A hospital group's gateway stores rows of several institutions; the option narrows a command to
one of them (``hisbridge.store.scope``: rows without an institution are the default one's, the
top-level ``frontend.org_code``). ``--json`` output names each row's institution.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from hisbridge.ops.scope import default_code, narrowed
from hisbridge.settings import Settings, load_settings
from hisbridge.store.scope import InstitutionScope

__all__ = ["InstitutionOpt", "cli_scope", "owned", "scoped_store"]

InstitutionOpt = Annotated[str | None, typer.Option(
    "--institution", help="只看这个机构（机构代码）only this institution (its org_code)")]


def cli_scope(settings: Settings, code: str | None) -> InstitutionScope:
    """The scope of ``--institution``: every institution without it; a code the gateway does
    not serve is refused, naming those it does."""
    served = [i.org_code for i in settings.institution_list()]
    if code and code not in served:
        raise typer.BadParameter(f"未知机构 unknown institution: {code}（可选 served: "
                                 f"{', '.join(served)}）", param_hint="--institution")
    return narrowed((), default_code(served, settings.frontend.org_code), code)


def owned(rows: Iterable[dict[str, Any]], scope: InstitutionScope,
          key: str = "institution") -> list[dict[str, Any]]:
    """Rows for ``--json``, each naming its institution (NULL: the default institution)."""
    return [{**row, "institution": scope.owner(row.pop(key, None))} for row in rows]


@contextmanager
def scoped_store(config: Path | None, code: str | None) -> Iterator[tuple[Engine, InstitutionScope,
                                                                           Settings]]:
    """The store (refused when it needs ``hisbridge upgrade``), the scope of ``--institution``
    and the settings; the store is closed when the command is done."""
    from hisbridge.store.migrate import open_store

    settings = load_settings(config)
    scope = cli_scope(settings, code)
    engine = open_store(settings.store.url, config)
    try:
        yield engine, scope, settings
    finally:
        engine.dispose()
