"""Alembic environment: the engine comes from ``hisbridge.store.migrate``."""

from __future__ import annotations

from alembic import context

from hisbridge.store.schema import load_all

config = context.config
engine = config.attributes["engine"]
target_metadata = load_all()

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        on_version_apply=config.attributes.get("on_version_apply", ()),  # progress (migrate.py)
    )
    with context.begin_transaction():
        context.run_migrations()
