"""The simulator's public surface: sorted exports and the two commands under ``simulate``."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from typer.testing import CliRunner

import hisbridge.simulators.frontend as package
from hisbridge.cli import _register, app

MODULES = sorted(m.name for m in pkgutil.iter_modules(package.__path__))


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then CamelCase, then the rest."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", ["", *MODULES])
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(f"{package.__name__}.{name}" if name else package.__name__)
    exported = list(getattr(module, "__all__", []))
    assert exported == sorted(exported, key=_isort_key)
    for symbol in exported:
        assert hasattr(module, symbol), f"{module.__name__}.{symbol}"


@pytest.mark.parametrize(("command", "expected"), [
    ("frontend", ["--strict", "--lenient", "--store", "--seed", "--license", "8881"]),
    ("client", ["--frontend", "18881"]),
])
def test_simulate_commands_exist(command: str, expected: list[str]) -> None:
    _register()
    result = CliRunner().invoke(app, ["simulate", command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output
