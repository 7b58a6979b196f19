"""The migrated store has exactly the tables declared in hisbridge.store.schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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


def test_sqlite_migrations_match_schema(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.mark.services
def test_postgres_migrations_match_schema(pg_url: str) -> None:
    _check(pg_url)
