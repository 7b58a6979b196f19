"""``hisbridge dictionary``: the national data dictionary — the 20 tables, their DDL, docs, and
validation of files (``hisbridge spec`` is its hidden old name, kept for hospitals' scripts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hisbridge import _json
from hisbridge.cli.docs import Out, emit_text
from hisbridge.cli.listing import JsonOpt, Listing, emit
from hisbridge.dictionary import Validator, load_dictionary
from hisbridge.dictionary.docs import render_tables_markdown
from hisbridge.dictionary.model import GROUP_LABELS
from hisbridge.dictionary.schema import DIALECTS, emit_ddl
from hisbridge.dictionary.validator import Mode
from hisbridge.dictionary.violations import Violation

app = typer.Typer(help="国家数据字典：20 张标准表 / the national data dictionary: the 20 tables",
                  no_args_is_help=True)
console = Console()


@app.command("list")
def list_tables(as_json: JsonOpt = False) -> None:
    """列出 20 张表 / list the 20 tables with titles, field counts and groups."""
    listing = Listing("国家传染病监测预警前置软件 · 20 张标准表",
                      ("#", "table", "中文名", "fields", "group", "API path"))
    for n, t in enumerate(load_dictionary(), start=1):
        listing.rows.append((n, t.name, t.title_zh, len(t.sent_fields), GROUP_LABELS[t.group],
                             t.api_path))
    emit(listing, as_json=as_json, console=console)


def _code_map_files(config: Path | None) -> tuple[Path, bool]:
    """Where the project's code maps live (or the worked example's folder) and whether it is
    a project's."""
    if config is None:
        return Path("codemaps"), False
    from hisbridge.settings import load_settings

    folder = load_settings(config).his.codemaps_dir
    root = config.parent.resolve() if config.suffix in (".yaml", ".yml") else config.resolve()
    return (folder if folder.is_absolute() else root / folder), True


@app.command("show")
def show(table: Annotated[str, typer.Argument(help="e.g. emr_patient_info")],
         config: Annotated[Path | None, typer.Option(
             "--config", "-c", help="项目配置：显示其代码对照文件 the project's code-map files")]
         = None,
         as_json: JsonOpt = False) -> None:
    """一张表的字段 / fields of one table with labels, types, lengths, rules and code-map CSV.

    没有 -c 时“code map”列是 hisbridge init 示例项目中的文件名 (codemaps/<code set>.csv)。
    """
    t = load_dictionary().table(table)
    folder, in_project = _code_map_files(config)
    listing = Listing(f"{t.name} {t.title_zh} ({t.api_path})",
                      ("field", "camelCase", "中文标签", "type", "len", "required", "code set",
                       "code map"))
    for f in t.fields:
        listing.rows.append((f.name, f.camel, f.label_zh, f.type, f.length or "",
                             f.required_level, f.code_set or "",
                             _code_map_cell(folder, f.code_set, in_project)))
    emit(listing, as_json=as_json, console=console)


def _code_map_cell(folder: Path, code_set: str | None, in_project: bool) -> str:
    if not code_set:
        return ""
    path = folder / f"{code_set}.csv"
    if in_project and not path.is_file():
        return f"{path} (无此文件，只接受标准代码 absent: standard codes only)"
    return str(path)


@app.command("codes")
def codes(code_set: Annotated[str | None, typer.Argument(
              metavar="[SET]", help="值域名，如 id_card_type；省略则列出全部值域")] = None,
          as_json: JsonOpt = False) -> None:
    """值域代码 / a code set's codes and labels (without SET: every code set)."""
    dictionary = load_dictionary()
    if code_set is None:
        listing = Listing("值域 code sets", ("code set", "中文名", "codes", "pattern"))
        for name, cs in sorted(dictionary.code_sets.items()):
            listing.rows.append((name, cs.name_zh, len(cs.codes), cs.pattern or ""))
        emit(listing, as_json=as_json, console=console)
        return
    found = dictionary.code_set(code_set)
    if found is None:
        raise typer.BadParameter(f"未知的值域 unknown code set {code_set!r}; 可用 known: "
                                 + ", ".join(sorted(dictionary.code_sets)), param_hint="SET")
    listing = Listing(f"{found.name} {found.name_zh}", ("code", "label"),
                      [(code, label) for code, label in found.codes.items()])
    if found.pattern and not found.codes:
        listing.rows.append((f"pattern {found.pattern}", "只校验格式 checked by shape only"))
    emit(listing, as_json=as_json, console=console)


@app.command("ddl")
def ddl(dialect: Annotated[str, typer.Option(help="postgresql | mysql | sqlite")] = "postgresql",
        ) -> None:
    """建表语句 / CREATE TABLE statements for the 20 tables."""
    if dialect not in DIALECTS:
        raise typer.BadParameter(f"choose one of {', '.join(DIALECTS)}", param_hint="--dialect")
    typer.echo(emit_ddl(dialect), nl=False)


@app.command("docs")
def docs(out: Out = None) -> None:
    """生成表文档 / render docs/tables.md from the dictionary."""
    emit_text(render_tables_markdown, out)


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
    if found:  # the listing helper: TSV when piped, HIS data never read as markup
        emit(Listing("校验结果 violations",
                     ("line", "field", "中文标签", "rule", "level", "value (masked)", "how to fix"),
                     [(line, v.field, v.label_zh, v.rule, v.severity, v.value or "",
                       f"{v.hint_zh} / {v.hint_en}") for line, v in found]), console=console)
    colour = "red" if errors else "green"
    console.print(f"[{colour}]{records} 条记录 records, {errors} 个错误 errors, "
                  f"{warnings} 个警告 warnings[/] (mode {mode}, encoding {encoding})")
