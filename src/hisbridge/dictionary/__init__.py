"""The 20 tables of the national front-end software as code: dictionary, validator, wire format."""

from hisbridge.dictionary.catalog import Dictionary, load_dictionary
from hisbridge.dictionary.model import CodeSet, FieldSpec, ParentKey, TableSpec
from hisbridge.dictionary.validator import Mode, Validator, has_errors
from hisbridge.dictionary.violations import Violation

__all__ = [
    "CodeSet",
    "Dictionary",
    "FieldSpec",
    "Mode",
    "ParentKey",
    "TableSpec",
    "Validator",
    "Violation",
    "has_errors",
    "load_dictionary",
]
