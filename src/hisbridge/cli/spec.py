"""``hisbridge spec``: the 20 tables, their DDL, docs, and validation of files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hisbridge import _json
from hisbridge.spec import Validator, load_dictionary
from hisbridge.spec.docs import render_tables_markdown
from hisbridge.spec.model import GROUP_LABELS
from hisbridge.spec.schema import DIALECTS, emit_ddl
from hisbridge.spec.validator import Mode
from hisbridge.spec.violations import Violation

app = typer.Typer(help="20 张标准表 / the 20 national tables", no_args_is_help=True)
console = Console()


@app.command("list")
def list_tables() -> None:
    """列出 20 张表 / list the 20 tables with titles, field counts and groups."""
    view = Table(title="国家传染病监测预警前置软件 · 20 张标准表")
    for col in ("#", "table", "中文名", "fields", "group", "API path"):
        view.add_column(col)
    for n, t in enumerate(load_dictionary(), start=1):
        sent = len(t.sent_fields)
        view.add_row(str(n), t.name, t.title_zh, str(sent), GROUP_LABELS[t.group], t.api_path)
    console.print(view)


@app.command("show")
def show(table: Annotated[str, typer.Argument(help="e.g. emr_patient_info")]) -> None:
    """一张表的字段 / fields of one table with labels, types, lengths and rules."""
    t = load_dictionary().table(table)
    view = Table(title=f"{t.name} {t.title_zh} ({t.api_path})")
    for col in ("field", "camelCase", "中文标签", "type", "len", "required", "code set"):
        view.add_column(col)
    for f in t.fields:
        view.add_row(f.name, f.camel, f.label_zh, f.type, str(f.length or ""),
                     f.required_level, f.code_set or "")
    console.print(view)


@app.command("ddl")
def ddl(dialect: Annotated[str, typer.Option(help="postgresql | mysql | sqlite")] = "postgresql",
        ) -> None:
    """建表语句 / CREATE TABLE statements for the 20 tables."""
    if dialect not in DIALECTS:
        raise typer.BadParameter(f"choose one of {', '.join(DIALECTS)}", param_hint="--dialect")
    typer.echo(emit_ddl(dialect), nl=False)


@app.command("docs")
def docs(out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
         ) -> None:
    """生成表文档 / render docs/tables.md from the dictionary."""
    text = render_tables_markdown()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")
        console.print(f"wrote {out}")


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="JSONL or CSV file of records")],
    table: Annotated[str, typer.Option("--table", "-t", help="national table name")],
    strict: Annotated[bool, typer.Option(help="also the rules the 2026 front-end enforces")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="a JSON report instead of a table")] = False,
    encoding: Annotated[str | None, typer.Option(help="e.g. gbk; detected when omitted")] = None,
    limit: Annotated[int, typer.Option(help="rows of violations to show")] = 200,
) -> None:
    """校验文件 / validate a file of records; exit code 1 when any error is found."""
    from hisbridge.sources.files import read_records

    spec = load_dictionary().table(table)
    mode: Mode = "strict" if strict else "lenient"
    validator = Validator(mode)
    used, rows = read_records(file, encoding)
    found: list[tuple[int, Violation]] = []
    records = 0
    for row in rows:
        records += 1
        if row.record is None:
            found.append((row.line, Violation(spec.name, "", "", "not_an_object", "error", None,
                                              row.error or "", row.error or "")))
            continue
        found.extend((row.line, v) for v in validator.validate(spec.name, row.record))
    errors = sum(1 for _, v in found if v.severity == "error")
    if as_json:
        typer.echo(_json.dumps_str({
            "file": str(file), "table": spec.name, "mode": mode, "encoding": used,
            "records": records, "errors": errors, "warnings": len(found) - errors,
            "violations": [{"line": line, **v.as_dict()} for line, v in found],
        }))
    else:
        _print_violations(found[:limit], records, errors, len(found) - errors, used, mode)
    raise typer.Exit(1 if errors else 0)


def _print_violations(found: list[tuple[int, Violation]], records: int, errors: int,
                      warnings: int, encoding: str, mode: str) -> None:
    if found:
        view = Table(title="校验结果 violations")
        for col in ("line", "field", "中文标签", "rule", "level", "value (masked)", "how to fix"):
            view.add_column(col, overflow="fold")
        for line, v in found:
            view.add_row(str(line), v.field, v.label_zh, v.rule, v.severity, v.value or "",
                         f"{v.hint_zh} / {v.hint_en}")
        console.print(view)
    colour = "red" if errors else "green"
    console.print(f"[{colour}]{records} 条记录 records, {errors} 个错误 errors, "
                  f"{warnings} 个警告 warnings[/] (mode {mode}, encoding {encoding})")
