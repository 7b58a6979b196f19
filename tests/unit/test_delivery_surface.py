"""The delivery core's public surface: every ``__all__`` sorted, every name importable."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "hisbridge.connectors", "hisbridge.connectors.frontend.client",
    "hisbridge.connectors.frontend.config", "hisbridge.connectors.frontend.db_sink",
    "hisbridge.connectors.frontend.errors", "hisbridge.connectors.frontend.mapping",
    "hisbridge.runtime.app", "hisbridge.delivery.metrics", "hisbridge.delivery.outcome",
    "hisbridge.delivery.ports", "hisbridge.delivery.retry", "hisbridge.runtime.delivery",
    "hisbridge.runtime.worker", "hisbridge.store.intake", "hisbridge.store.outbox",
    "hisbridge.store.queries", "hisbridge.store.schema.outbox", "hisbridge.store.times",
    "hisbridge.testing", "hisbridge.testing.intake", "hisbridge.testing.receiver",
    "hisbridge.testing.samples", "hisbridge.testing.targets", "hisbridge.web.intake",
    "hisbridge.web.metrics", "hisbridge.web.outbox_api",
]


def _ruff_order(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_ruff_order)
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol}"
