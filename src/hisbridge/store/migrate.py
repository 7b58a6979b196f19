"""Bring a store up to date: Alembic, run in-process, every branch to its head.

Each concept (outbox, consent, messages, console...) owns an independent Alembic branch
(``branch_labels``), so concepts evolve without stepping on each other; ``upgrade`` applies all
heads. Upgrades never drop queued work: a migration that reshapes queued rows must move them.

Only an empty store is migrated implicitly (``prepare``: the first start creates the schema);
a store written by an older hisbridge is upgraded on purpose, by ``hisbridge upgrade``, after a
backup — every command that opens the store refuses to start on it until then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Engine

from hisbridge.errors import Terminal
from hisbridge.store.engine import make_engine

__all__ = ["Migration", "StoreNotCurrent", "alembic_config", "applied", "current_heads",
           "open_store", "pending", "pending_migrations", "prepare", "upgrade", "upgrade_command"]


_LINE = 100  # a description's length in listings


class StoreNotCurrent(Terminal):
    """The store's schema is not the one this code uses: older (run ``hisbridge upgrade``) or
    written by a newer hisbridge."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration: its revision id, the concept's branch and what it does, in one line."""

    revision: str
    branch: str
    description: str


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("hisbridge.store") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def _script(engine: Engine) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(engine))


def upgrade(engine: Engine, on_applied: Callable[[Migration], None] | None = None) -> None:
    """Apply every migration not yet applied (all branches); ``on_applied`` hears each one."""
    cfg = alembic_config(engine)
    if on_applied is not None:
        def heard(*, step: Any, **_: Any) -> None:
            on_applied(_migration(step.up_revision))

        cfg.attributes["on_version_apply"] = (heard,)
    command.upgrade(cfg, "heads")


def current_heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def pending(engine: Engine) -> bool:
    """True when the store is behind the code (``hisbridge run`` refuses to start then)."""
    return current_heads(engine) != set(_script(engine).get_heads())


def applied(engine: Engine) -> set[str]:
    """Every revision the store has: its heads and all they stand on."""
    script = _script(engine)
    heads = tuple(current_heads(engine))
    return {rev.revision for rev in script.iterate_revisions(heads, "base") if rev is not None}


def pending_migrations(engine: Engine) -> list[Migration]:
    """The migrations ``upgrade`` would apply, each after those it stands on."""
    try:
        done = applied(engine)
    except (CommandError, RevisionError) as exc:  # a revision unknown here: a newer version's
        raise StoreNotCurrent(
            f"存储由更新版本的 hisbridge 写入 the store was written by a newer hisbridge: {exc}",
            hint="请安装写入它的版本 / install the version that wrote it") from exc
    every = reversed(list(_script(engine).walk_revisions()))
    return [_migration(rev) for rev in every if rev.revision not in done]


def _migration(rev: Script) -> Migration:
    """The revision with its docstring's first sentence (less the "Outbox branch:" prefix)."""
    words = " ".join((rev.doc or "").split())
    words = re.sub(r"^\w+( branch)?:\s*", "", words, flags=re.IGNORECASE)
    first = re.split(r"(?<=[.;])\s", words, maxsplit=1)[0]
    line = first if len(first) <= _LINE else first[:_LINE - 1] + "…"
    return Migration(rev.revision, ",".join(sorted(rev.branch_labels)) or "-", line)


def upgrade_command(config: Path | None) -> str:
    """The command that upgrades the store of ``config`` (as the user should type it)."""
    return "hisbridge upgrade" + (f" -c {config}" if config is not None else "")


def prepare(engine: Engine, config: Path | None = None, *, upgrade_old: bool = False) -> None:
    """Make the store ready for this code: an empty store gets the schema (the first start); an
    older one is refused (:class:`StoreNotCurrent`, naming ``hisbridge upgrade -c config``)
    unless ``upgrade_old`` (the demo's own synthetic store)."""
    if not current_heads(engine) or upgrade_old:
        upgrade(engine)
        return
    waiting = pending_migrations(engine)
    if waiting:
        raise StoreNotCurrent(
            f"存储结构需要升级（{len(waiting)} 个迁移待应用），请先运行 {upgrade_command(config)} "
            f"/ the store was made by an older hisbridge ({len(waiting)} migrations pending): "
            f"run `{upgrade_command(config)}` first")


def open_store(url: str, config: Path | None = None, *, upgrade_old: bool = False) -> Engine:
    """An engine on the store at ``url``, made ready by :func:`prepare` (closed again if it
    refuses the store)."""
    engine = make_engine(url)
    try:
        prepare(engine, config, upgrade_old=upgrade_old)
    except BaseException:
        engine.dispose()
        raise
    return engine
