"""Source rows -> national-table records: SQL mapping files, code maps and the drug filter.

Pure apart from reading mapping files (``hisbridge.project.load_project`` reads
``hisbridge.yaml`` and everything it names); ``RowMapper`` turns rows into records without
touching any database. Never imports ``hisbridge.settings``: each part takes its settings.
"""

from hisbridge.mapping.codemaps import CodeMap, CodeMaps, load_code_maps
from hisbridge.mapping.config import DEFAULT_DRUG_CLASSES, HisSettings
from hisbridge.mapping.drugs import DrugCatalogue, DrugEntry, default_class
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
    "RowMapper",
    "default_class",
    "load_code_maps",
    "parse_mapping_file",
]
