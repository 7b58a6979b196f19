"""Source rows -> national-table records: SQL mapping files, code maps and the drug filter.

Pure apart from reading the project's files: ``load_project`` reads ``hisbridge.yaml``, the
SQL mapping files, the code-map CSVs and the drug catalogue; ``RowMapper`` turns rows into
records without touching any database.
"""

from hisbridge.mapping.codemaps import CodeMap, CodeMaps, load_code_maps
from hisbridge.mapping.config import DEFAULT_DRUG_CLASSES, HisSettings
from hisbridge.mapping.drugs import DrugCatalogue, DrugEntry, default_class
from hisbridge.mapping.project import Project, load_project
from hisbridge.mapping.rows import MappedRow, RowMapper
from hisbridge.mapping.sqlfile import CodeRef, MappingFile, parse_mapping_file

__all__ = [
    "DEFAULT_DRUG_CLASSES",
    "CodeMap",
    "CodeMaps",
    "CodeRef",
    "DrugCatalogue",
    "DrugEntry",
    "HisSettings",
    "MappedRow",
    "MappingFile",
    "Project",
    "RowMapper",
    "default_class",
    "load_code_maps",
    "load_project",
    "parse_mapping_file",
]
