"""Code maps: the hospital's own codes -> the national standard codes, one CSV per code set.

``codemaps/<code_set>.csv`` has the columns ``hospital_code,standard_code,standard_label``
(the label may be left empty: it is then taken from the code set). A value that is already a
standard code passes through unchanged, so only the hospital's own codes need a line.

Diagnosis code sets are hierarchical (``HIERARCHICAL``): a code not found as written is looked
up without its extension and then by ever shorter prefixes down to the three-character category
(``A15.000x001`` → ``A15.000`` → ``A15.00`` → ``A15.0`` → ``A15``), since hospitals code with
the national clinical edition while the front-end's list mixes granularities. A hit found that
way is a *generalisation*, reported as a warning.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hisbridge.dictionary import CodeSet, Dictionary, load_dictionary
from hisbridge.errors import ConfigError

__all__ = ["HIERARCHICAL", "CodeMap", "CodeMaps", "Resolution", "code_candidates",
           "load_code_maps", "parse_code_map"]

_COLUMNS = ("hospital_code", "standard_code", "standard_label")
# ICD-10 style code sets, where a shorter prefix is the broader diagnosis.
HIERARCHICAL = frozenset({"infectious_disease_icd10", "front_end_disease_code_table", "icd10"})
_CATEGORY = 3  # ``A15``: the three-character category, the broadest code tried
_EXTENSION_RE = re.compile(r"(?<=\.)(\w*?)x\w*$|[+*†]+$", re.IGNORECASE)


def code_candidates(code: str) -> list[str]:
    """``code`` itself, then with its chapter letter in upper case (``a15.0`` is ``A15.0``),
    without its extension (``x001``, a dagger/asterisk mark), then ever shorter prefixes down to
    the three-character category; no duplicates, no trailing dot."""
    code = code.strip()
    out = [code]
    base = code[:1].upper() + code[1:]
    while (stripped := _EXTENSION_RE.sub(r"\1", base)) != base:
        base = stripped.rstrip(".")
    for end in range(len(base), _CATEGORY - 1, -1):
        prefix = base[:end]
        if prefix and not prefix.endswith(".") and prefix not in out:
            out.append(prefix)
    return out


@dataclass(frozen=True, slots=True)
class Resolution:
    """A standard code found for a value; ``generalised`` when only a broader code matched."""

    code: str
    label: str
    generalised: bool = False


@dataclass(frozen=True, slots=True)
class CodeMap:
    """One code set's map; ``resolve`` gives (standard code, label) or None when unmapped."""

    code_set: CodeSet
    entries: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def hierarchical(self) -> bool:
        return self.code_set.name in HIERARCHICAL

    def lookup(self, value: str) -> Resolution | None:
        """The standard code for ``value``: exact, or (hierarchical sets) the nearest broader."""
        candidates = code_candidates(value) if self.hierarchical else [value]
        for n, candidate in enumerate(candidates):
            hit = self.resolve(candidate)
            if hit is not None:
                return Resolution(hit[0], hit[1], generalised=n > 0)
        return None

    def resolve(self, value: str) -> tuple[str, str] | None:
        """(standard code, label) of exactly ``value``, or None."""
        hit = self.entries.get(value)
        if hit is not None:
            return hit
        label = self.code_set.codes.get(value)
        if label is not None:
            return value, label
        if not self.code_set.codes and self.code_set.pattern:
            return (value, "") if re.fullmatch(self.code_set.pattern, value) else None
        return None


@dataclass(frozen=True, slots=True)
class CodeMaps:
    """Every code map of a project, by code set name (sets without a file pass codes through)."""

    maps: Mapping[str, CodeMap]
    dictionary: Dictionary

    def get(self, code_set: str) -> CodeMap:
        found = self.maps.get(code_set)
        if found is not None:
            return found
        cs = self.dictionary.code_set(code_set)
        if cs is None:
            raise ConfigError(f"未知的值域 unknown code set {code_set!r}")
        return CodeMap(cs)


def parse_code_map(text: str, code_set: CodeSet, where: str) -> CodeMap:
    """A code map from CSV text; a standard code outside the code set is a ConfigError."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(_COLUMNS[:2]) <= set(reader.fieldnames):
        raise ConfigError(f"{where}: 表头应为 header must be {','.join(_COLUMNS)}")
    entries: dict[str, tuple[str, str]] = {}
    for row in reader:
        local = (row.get("hospital_code") or "").strip()
        standard = (row.get("standard_code") or "").strip()
        if not local:
            continue
        known = code_set.codes.get(standard)
        if code_set.codes and known is None:
            raise ConfigError(
                f"{where}:{reader.line_num}: 标准代码 {standard!r} 不在「{code_set.name_zh}」中",
                hint=f"hospital_code {local!r} must map to a code of {code_set.name}")
        label = (row.get("standard_label") or "").strip() or (known or "")
        entries[local] = (standard, label)
    return CodeMap(code_set, entries)


def load_code_maps(folder: Path, dictionary: Dictionary | None = None) -> CodeMaps:
    """Every ``<code_set>.csv`` in ``folder`` (a missing folder means no maps)."""
    d = dictionary or load_dictionary()
    maps: dict[str, CodeMap] = {}
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else ():
        code_set = d.code_set(path.stem)
        if code_set is None:
            raise ConfigError(f"{path}: 文件名应为值域名 file name must be a code set name",
                              hint="可用 / known: " + ", ".join(sorted(d.code_sets)))
        try:
            text = path.read_text("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: 不是 UTF-8 编码 not UTF-8 (byte {exc.start})",
                              hint="请另存为 UTF-8（例如 iconv -f GBK -t UTF-8）") from exc
        maps[path.stem] = parse_code_map(text, code_set, str(path))
    return CodeMaps(maps, d)
