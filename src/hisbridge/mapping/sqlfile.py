"""SQL mapping files: one query per national table, with a small header of metadata.

A mapping file starts with comment lines that declare what the query returns::

    -- table: emr_patient_info          the national table (required)
    -- key: id                          the column holding the record key (default: the table's)
    -- watermark: updated_at            the column that grows when a row changes (required)
    -- delete_flag: deleted             optional: a truthy value sends a delete
    -- codes: gender_code=gender,       code maps to apply, column=code_set; a trailing ``?``
    --        disease_code=infectious_disease_icd10?   keeps only standard codes, blanks others
    -- drugs: drug_code                 optional: the hospital drug code column to filter on

The query takes ``:since`` and ``:until`` and returns spec-named columns plus the watermark
(and the delete flag), ordered by the watermark. Both bounds are inclusive
(``watermark >= :since AND watermark <= :until``): a row stamped exactly at the watermark or at
``initial_since`` is read, and re-reading an unchanged row enqueues nothing. Files written for
0.1.0 with ``> :since`` still run; ``exclusive_since`` tells ``hisbridge check`` to warn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hisbridge.dictionary import Dictionary, load_dictionary
from hisbridge.errors import ConfigError

__all__ = ["DIRECTIVES", "CodeRef", "MappingFile", "parse_mapping_file", "parse_mapping_text"]

DIRECTIVES = ("table", "key", "watermark", "delete_flag", "codes", "drugs")
_DIRECTIVE_RE = re.compile(r"--\s*(\w+)\s*:\s*(.*)$")
_CONTINUATION_RE = re.compile(r"--\s{2,}(\S.*)$")
_PARAM_RE = re.compile(r"(?<!:):(since|until)\b")
_EXCLUSIVE_RE = re.compile(r"(?<![<>=!])>\s*:since\b|:since\s*<(?![=>])")


@dataclass(frozen=True, slots=True)
class CodeRef:
    """Apply the code map of ``code_set`` to ``column``; ``optional`` blanks unknown codes."""

    column: str
    code_set: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class MappingFile:
    """One parsed mapping: the header's metadata and the query text."""

    path: Path
    table: str
    key: str
    watermark: str
    sql: str
    delete_flag: str | None = None
    codes: tuple[CodeRef, ...] = ()
    drugs: str | None = None
    exclusive_since: bool = False  # ``> :since`` (0.1.0 style): rows at the watermark are skipped

    @property
    def helper_columns(self) -> frozenset[str]:
        """Columns the query returns that are not sent (watermark, delete flag, drug helper)."""
        extra = {self.watermark, self.delete_flag, self.drugs}
        return frozenset(c for c in extra if c)


def _header(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        directive = _DIRECTIVE_RE.match(stripped)
        continuation = _CONTINUATION_RE.match(line.lstrip()) if last else None
        if directive and directive.group(1) in DIRECTIVES:
            last = directive.group(1)
            found[last] = directive.group(2).strip()
        elif continuation and last == "codes":
            found[last] += " " + continuation.group(1).strip()
        else:
            last = None
    return found


def _codes(value: str, where: str, dictionary: Dictionary, fields: set[str]) -> tuple[CodeRef, ...]:
    refs = []
    for part in filter(None, (p.strip() for p in value.split(","))):
        column, sep, code_set = (s.strip() for s in part.partition("="))
        optional = code_set.endswith("?")
        code_set = code_set.rstrip("?")
        if not sep or column not in fields:
            raise ConfigError(f"{where}: codes 中的列 {column!r} 不是该表的字段 not a field",
                              hint="写法 column=code_set，例如 gender_code=gender")
        if dictionary.code_set(code_set) is None:
            raise ConfigError(f"{where}: 未知的值域 unknown code set {code_set!r}",
                              hint="可用 / known: " + ", ".join(sorted(dictionary.code_sets)))
        refs.append(CodeRef(column, code_set, optional))
    return tuple(refs)


def parse_mapping_text(text: str, path: Path, dictionary: Dictionary | None = None) -> MappingFile:
    """Parse a mapping's text; any mistake raises ConfigError naming the file."""
    d = dictionary or load_dictionary()
    where = str(path)
    header = _header(text)
    for needed in ("table", "watermark"):
        if not header.get(needed):
            raise ConfigError(f"{where}: 缺少头部声明 missing header '-- {needed}: ...'",
                              hint="见 docs/mapping.md 的映射文件格式")
    spec = d.get(header["table"])
    if spec is None:
        raise ConfigError(f"{where}: 未知的国家表 unknown table {header['table']!r}",
                          hint="可用 / known: " + ", ".join(d.names))
    fields = {f.name for f in spec.fields}
    key = header.get("key") or spec.primary_key
    if key not in fields:
        raise ConfigError(f"{where}: key {key!r} 不是 {spec.name} 的字段 not a field")
    if header.get("delete_flag") and not spec.can_delete:
        raise ConfigError(f"{where}: {spec.name} 不允许删除 cannot be deleted",
                          hint="去掉 -- delete_flag（base_dept 只新增和修改）")
    missing = {"since", "until"} - set(_PARAM_RE.findall(text))
    if missing:
        raise ConfigError(f"{where}: 查询缺少参数 query lacks :{', :'.join(sorted(missing))}",
                          hint="用 WHERE 水位列 >= :since AND 水位列 <= :until 限定增量窗口")
    return MappingFile(
        path=path, table=spec.name, key=key, watermark=header["watermark"], sql=text,
        delete_flag=header.get("delete_flag") or None,
        codes=_codes(header.get("codes", ""), where, d, fields),
        drugs=header.get("drugs") or None,
        exclusive_since=_EXCLUSIVE_RE.search(text) is not None,
    )


def parse_mapping_file(path: Path, dictionary: Dictionary | None = None) -> MappingFile:
    """Read and parse one ``.sql`` mapping file."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"无法读取映射文件 cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"映射文件应为 UTF-8 编码 mapping must be UTF-8: {path}") from exc
    return parse_mapping_text(text, path, dictionary)
