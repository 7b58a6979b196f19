"""Bring a store up to date: Alembic, run in-process, every branch to its head.

Each concept (outbox, consent, messages, console...) owns an independent Alembic branch
(``branch_labels``), so concepts evolve without stepping on each other; ``upgrade`` applies all
heads. Upgrades never drop queued work: a migration that reshapes queued rows must move them.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

__all__ = ["alembic_config", "applied", "current_heads", "pending", "upgrade"]


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("hisbridge.store") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (all branches)."""
    command.upgrade(alembic_config(engine), "heads")


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def pending(engine: Engine) -> bool:
    """True when the store is behind the code (``hisbridge run`` refuses to start then)."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    return current_heads(engine) != set(script.get_heads())


def applied(engine: Engine) -> set[str]:
    """Every revision the store has: its heads and all they stand on."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    heads = tuple(current_heads(engine))
    return {rev.revision for rev in script.iterate_revisions(heads, "base") if rev is not None}
