"""The migrated store has exactly the tables declared in hisbridge.store.schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, text

from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import pending, upgrade
from hisbridge.store.schema import load_all


def _check(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert not pending(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), load_all())
        assert diff == [], f"migrations and schema disagree: {diff}"
        upgrade(engine)  # idempotent
    finally:
        engine.dispose()


def _expression_indexes_declared() -> set[str]:
    return {str(index.name) for table in load_all().tables.values() for index in table.indexes
            if not all(isinstance(e, Column) for e in index.expressions)}


def _sqlite_indexes(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
                   .scalars())


# SQLite cannot reflect expression indexes, so Alembic skips them (with these warnings);
# the test below checks them by name instead.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_sqlite_migrations_match_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _check(url)
    engine = make_engine(url)
    try:
        declared = _expression_indexes_declared()
        assert declared >= {"ix_records_patient_id", "ix_records_serial_number"}
        assert declared <= _sqlite_indexes(engine)
    finally:
        engine.dispose()


@pytest.mark.services
def test_postgres_migrations_match_schema(pg_url: str) -> None:
    _check(pg_url)
