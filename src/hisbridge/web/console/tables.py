"""The choices the console's filters offer: the 20 tables and the outbox states."""

from __future__ import annotations

from hisbridge.dictionary import load_dictionary

__all__ = ["STATES", "table_choices", "table_names"]

STATES = ("pending", "in_flight", "delivered", "retry_wait", "dead")


def table_names() -> list[str]:
    return [t.name for t in load_dictionary()]


def table_choices(lang: str) -> list[tuple[str, str]]:
    """(value, label) for a ``<select>``: the Chinese title first in Chinese pages."""
    return [(t.name, f"{t.title_zh} {t.name}" if lang == "zh" else t.name) for t in load_dictionary()]
