"""One way every listing command prints: a table on a terminal, TSV through a pipe, or JSON.

On a terminal the rows are a rich table whose cells wrap (never cut). Piped or redirected, the
output is tab-separated with a header line, one row per line, nothing truncated, so
``hisbridge dictionary list | grep emr_patient_info`` and ``cut -f2`` work. ``--json`` prints one JSON
document (a list of objects keyed by column, unless the command passes its own document).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hisbridge import _json

__all__ = ["JsonOpt", "Listing", "emit", "plain"]

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON 输出 / print JSON")]


@dataclass(slots=True)
class Listing:
    """Rows to print under ``columns``; ``document`` replaces the default JSON form."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    document: Any = None

    def as_json(self) -> Any:
        if self.document is not None:
            return self.document
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


# Tabs and line breaks would split a TSV row: a space. Any other control character (a terminal
# escape, a bell, C1) in HIS data is shown as \xNN, never sent to the operator's terminal.
_CONTROLS = {c: " " if c in (9, 10, 13) else f"\\x{c:02x}"
             for c in (*range(32), *range(0x7F, 0xA0))}


def plain(value: Any) -> str:
    """``value`` as one line of printable text: HIS data safe to print (no control characters;
    print it with ``markup=False`` or inside ``rich.text.Text``)."""
    return ("" if value is None else str(value)).translate(_CONTROLS)


_cell = plain


def emit(listing: Listing, *, as_json: bool = False, console: Console | None = None) -> None:
    """Print ``listing`` as JSON, as a table (terminal) or as TSV (anything else)."""
    if as_json:
        typer.echo(_json.dumps_str(listing.as_json()))
        return
    out = console or Console()
    if not out.is_terminal:
        typer.echo("\t".join(listing.columns))
        for row in listing.rows:
            typer.echo("\t".join(_cell(v) for v in row))
        return
    view = Table(title=listing.title)
    for column in listing.columns:
        view.add_column(column, overflow="fold")
    for row in listing.rows:
        view.add_row(*(Text(_cell(v)) for v in row))  # Text: HIS data is never rich markup
    out.print(view)
