"""The 20 national tables as SQLAlchemy tables, and the DDL they compile to.

Used by the front-end simulator's own store, by the database sink (an intermediate database the
front-end reads) and by ``hisbridge dictionary ddl``. Lengths are characters; on MySQL/MariaDB long
VARCHARs become TEXT so that the wide tables fit the 65,535-byte row limit with utf8mb4.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Index, MetaData, String, Table, Text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import TypeEngine

from hisbridge.dictionary.catalog import Dictionary, load_dictionary
from hisbridge.dictionary.model import FieldSpec, TableSpec

__all__ = ["DIALECTS", "emit_ddl", "national_metadata"]

DIALECTS: dict[str, Dialect] = {
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
    "mysql": mysql.dialect(),
    "sqlite": sqlite.dialect(),
}
_MYSQL_VARCHAR_MAX = 255


def _column_type(f: FieldSpec) -> TypeEngine[object]:
    if f.type == "datetime":
        return DateTime()  # type: ignore[return-value]
    if f.type == "date":
        return Date()  # type: ignore[return-value]
    if f.type == "text" or not f.length:
        return Text()  # type: ignore[return-value]
    kind = String(f.length)
    if f.length > _MYSQL_VARCHAR_MAX:
        return kind.with_variant(Text(), "mysql", "mariadb")  # type: ignore[return-value]
    return kind  # type: ignore[return-value]


def _table(metadata: MetaData, spec: TableSpec) -> Table:
    columns = [
        Column(
            f.name,
            _column_type(f),
            primary_key=f.name == spec.primary_key,
            nullable=f.name != spec.primary_key,
            comment=f.label_zh,
        )
        for f in spec.fields
    ]
    table = Table(spec.name, metadata, *columns, comment=spec.title_zh)
    for parent in spec.parent_keys:
        Index(f"ix_{spec.name}_{parent.field}", table.c[parent.field])
    return table


def national_metadata(dictionary: Dictionary | None = None, schema: str | None = None) -> MetaData:
    """A MetaData holding the 20 tables (optionally in a database schema)."""
    metadata = MetaData(schema=schema)
    for spec in dictionary or load_dictionary():
        _table(metadata, spec)
    return metadata


def emit_ddl(dialect: str, dictionary: Dictionary | None = None) -> str:
    """CREATE TABLE (and index) statements for the 20 tables, loadable as they are."""
    target = DIALECTS[dialect]
    statements = []
    for table in national_metadata(dictionary).tables.values():
        statements.append(str(CreateTable(table).compile(dialect=target)).strip() + ";")
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            statements.append(str(CreateIndex(index).compile(dialect=target)).strip() + ";")
    header = f"-- hisbridge: the 20 national front-end tables ({dialect})\n"
    return header + "\n\n".join(statements) + "\n"
