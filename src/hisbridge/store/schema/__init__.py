"""Every table of the gateway's own store, declared once with SQLAlchemy Core.

One module per concept (outbox, consent, warnings, console...), all on this ``metadata``;
``queue`` holds the columns every durable queue table shares.
Each module's tables are created by its own Alembic branch in ``store/migrations``; the test
``tests/integration/test_migrations.py`` checks that migrating gives exactly these tables.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import BigInteger, Integer, MetaData

from hisbridge.store.times import UtcDateTime

__all__ = ["ID", "TIMESTAMP", "load_all", "metadata"]

# Shared column types: surrogate keys (SQLite autoincrements INTEGER only) and UTC timestamps.
ID = BigInteger().with_variant(Integer(), "sqlite")
TIMESTAMP = UtcDateTime()

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def load_all() -> MetaData:
    """Import every schema module so that ``metadata`` holds all tables."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return metadata
