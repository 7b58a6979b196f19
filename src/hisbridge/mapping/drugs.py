"""The drug catalogue: which hospital drugs the front-end wants, and their standard codes.

``drug_catalogue.csv`` has ``hospital_code,hospital_name,atc_code,standard_code,drug_class``.
An empty ``drug_class`` takes the default of the ATC code (longest prefix wins, so
``J05AF`` HIV drugs beat ``J05`` antivirals); a hospital overrides it by filling the column,
e.g. ``antitussive`` for a Chinese patent cough syrup without an ATC code, or ``excluded``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hisbridge.dictionary import Dictionary, load_dictionary
from hisbridge.errors import ConfigError

__all__ = ["ATC_DEFAULTS", "DrugCatalogue", "DrugEntry", "default_class", "load_drug_catalogue"]

ATC_DEFAULTS: Mapping[str, str] = {
    "J05AE": "hiv", "J05AF": "hiv", "J05AG": "hiv", "J05AR": "hiv", "J05AX08": "hiv",
    "J05": "antiviral", "J01": "antibacterial", "J04A": "tb", "P02BA01": "schistosomiasis",
    "N02B": "antipyretic", "R05": "antitussive",
}
_COLUMNS = ("hospital_code", "hospital_name", "atc_code", "standard_code", "drug_class")


def default_class(atc_code: str | None) -> str:
    """The class an ATC code falls in by default (``other`` when none applies)."""
    code = (atc_code or "").strip().upper()
    for length in range(len(code), 0, -1):
        found = ATC_DEFAULTS.get(code[:length])
        if found:
            return found
    return "other"


@dataclass(frozen=True, slots=True)
class DrugEntry:
    hospital_code: str
    hospital_name: str
    atc_code: str
    standard_code: str
    drug_class: str


@dataclass(frozen=True, slots=True)
class DrugCatalogue:
    """Hospital drug code -> entry; ``wanted`` are the classes the front-end receives."""

    entries: Mapping[str, DrugEntry]
    wanted: frozenset[str]

    def lookup(self, hospital_code: str) -> DrugEntry | None:
        return self.entries.get(hospital_code)

    def is_wanted(self, hospital_code: str) -> bool:
        entry = self.entries.get(hospital_code)
        return entry is not None and entry.drug_class in self.wanted


def parse_drug_catalogue(text: str, wanted: frozenset[str], where: str,
                         dictionary: Dictionary | None = None) -> DrugCatalogue:
    """A catalogue from CSV text; a standard code outside the ``drug`` code set is an error."""
    drugs = (dictionary or load_dictionary()).code_set("drug")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "hospital_code" not in reader.fieldnames:
        raise ConfigError(f"{where}: 表头应为 header must be {','.join(_COLUMNS)}")
    entries: dict[str, DrugEntry] = {}
    for row in reader:
        values = {c: (row.get(c) or "").strip() for c in _COLUMNS}
        if not values["hospital_code"]:
            continue
        if values["standard_code"] and drugs and values["standard_code"] not in drugs.codes:
            raise ConfigError(f"{where}:{reader.line_num}: 标准药品代码 "
                              f"{values['standard_code']!r} 不在药品代码表中 not a standard "
                              "drug code")
        values["drug_class"] = values["drug_class"] or default_class(values["atc_code"])
        entries[values["hospital_code"]] = DrugEntry(**values)
    return DrugCatalogue(entries, wanted)


def load_drug_catalogue(path: Path | None, wanted: frozenset[str],
                        dictionary: Dictionary | None = None) -> DrugCatalogue:
    """The catalogue at ``path``; None gives an empty catalogue (every drug filtered out)."""
    if path is None:
        return DrugCatalogue({}, wanted)
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"无法读取药品目录 cannot read drug catalogue {path}: {exc.strerror}",
                          hint="在 hisbridge.yaml 的 his.drug_catalogue 指定路径") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: 不是 UTF-8 编码 not UTF-8 (byte {exc.start})",
                          hint="请另存为 UTF-8（例如 iconv -f GBK -t UTF-8）") from exc
    return parse_drug_catalogue(text, wanted, str(path), dictionary)
