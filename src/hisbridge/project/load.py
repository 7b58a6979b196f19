"""A hisbridge project: SQL mappings, code maps and the drug catalogue, loaded once.

``load_project("hisbridge.yaml", settings)`` is what ``hisbridge check``, ``sync once``, the
scheduler and the demo reach through ``hisbridge.runtime.extraction.open_project``, which reads
the settings at the edge and passes down only the ``ProjectSettings`` a project uses; relative
paths in the ``his:`` section are taken from the YAML's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.dictionary import Dictionary, load_dictionary
from hisbridge.dictionary.validator import Mode
from hisbridge.errors import ConfigError
from hisbridge.mapping.codemaps import CodeMaps, load_code_maps
from hisbridge.mapping.config import HisSettings
from hisbridge.mapping.drugs import DrugCatalogue, load_drug_catalogue
from hisbridge.mapping.exclusions import Exclusions, load_exclusions
from hisbridge.mapping.rows import RowMapper
from hisbridge.mapping.sqlfile import MappingFile, parse_mapping_file

__all__ = ["Project", "ProjectSettings", "load_mappings", "load_project"]


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """What a project reads of the settings: the HIS section, the institution's identity
    (``frontend.org_code``/``org_name``, constants of every record), the validation mode and a
    hospital group's institutions (org_code -> name; empty for a single institution)."""

    his: HisSettings
    frontend: FrontendSettings
    validation_mode: Mode = "lenient"
    group: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Project:
    """Everything needed to extract from the HIS; mappings are in the dictionary's order."""

    settings: ProjectSettings
    root: Path
    mappings: dict[str, MappingFile]
    codes: CodeMaps
    drugs: DrugCatalogue
    dictionary: Dictionary
    exclusions: Exclusions = field(default_factory=Exclusions)

    @property
    def source_name(self) -> str:
        return self.settings.his.source_name

    def mapping(self, table: str) -> MappingFile:
        spec = self.dictionary.table(table)
        found = self.mappings.get(spec.name)
        if found is None:
            raise ConfigError(f"没有 {spec.name} 的映射文件 no mapping for {spec.name}",
                              hint=f"在 {self.mappings_dir} 下新增 {spec.name}.sql")
        return found

    @property
    def mappings_dir(self) -> Path:
        return self.resolve(self.settings.his.mappings_dir)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.root / path

    def tables(self, group: str | None = None) -> list[str]:
        """Mapped tables, parents first; ``group`` is realtime, t0 or base."""
        return [t for t, m in self.mappings.items()
                if group is None or self.dictionary.table(t).group == group]

    def mapper(self, table: str) -> RowMapper:
        """A fresh RowMapper for ``table`` with the project's maps, strictness and exclusions."""
        return self.mapper_for(self.mapping(table), self.exclusions)

    def mapper_for(self, mapping: MappingFile, exclusions: Exclusions | None = None) -> RowMapper:
        """A fresh RowMapper for ``mapping`` with the project's maps, strictness and the
        institution's constants."""
        front = self.settings.frontend
        return RowMapper(mapping, self.codes, self.drugs,
                         strict_codes=self.settings.his.strict_codes,
                         constants={"org_code": front.org_code, "org_name": front.org_name},
                         dictionary=self.dictionary, exclusions=exclusions,
                         group=self.settings.group)


def load_mappings(folder: Path, dictionary: Dictionary) -> dict[str, MappingFile]:
    """Every ``*.sql`` mapping in ``folder``, keyed by national table, in spec order."""
    if not folder.is_dir():
        raise ConfigError(f"映射目录不存在 mappings folder not found: {folder}",
                          hint="用 hisbridge init DIR 生成示例映射")
    found: dict[str, MappingFile] = {}
    for path in sorted(folder.glob("*.sql")):
        mapping = parse_mapping_file(path, dictionary)
        if mapping.table in found:
            raise ConfigError(f"{path}: {mapping.table} 已由 {found[mapping.table].path.name} 映射",
                              hint="每张国家表只保留一个映射文件")
        found[mapping.table] = mapping
    return {t: found[t] for t in dictionary.names if t in found}


def load_project(path: Path | str, settings: ProjectSettings) -> Project:
    """Everything the ``his:`` section of ``settings`` names, relative to ``path`` (the
    ``hisbridge.yaml`` the settings came from, or its folder)."""
    path = Path(path)
    root = path.parent.resolve() if path.suffix in (".yaml", ".yml") else path.resolve()
    dictionary = load_dictionary()
    his = settings.his

    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else root / p

    wanted = frozenset(his.drug_classes)
    drugs = load_drug_catalogue(resolve(his.drug_catalogue) if his.drug_catalogue else None,
                                wanted, dictionary)
    return Project(settings, root, load_mappings(resolve(his.mappings_dir), dictionary),
                   load_code_maps(resolve(his.codemaps_dir), dictionary), drugs, dictionary,
                   load_exclusions(his.exclude, root))
