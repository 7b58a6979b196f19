"""Public surface of the warnings concern: sorted, importable exports and the ``sso`` commands."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from typer.testing import CliRunner

import hisbridge.warnings as package
from hisbridge.cli import _register, app

MODULES = [
    package.__name__,
    *sorted(f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)),
    "hisbridge.connectors.frontend.interaction_config",
    "hisbridge.connectors.frontend.keys",
    "hisbridge.connectors.frontend.warnings",
    "hisbridge.connectors.frontend.sso",
    "hisbridge.store.schema.warnings",
    "hisbridge.web.warnings_api",
    "hisbridge.web.widgets",
]


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then CamelCase, then the rest."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(getattr(module, "__all__", []))
    assert exported == sorted(exported, key=_isort_key)
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol}"


@pytest.mark.parametrize(("command", "expected"), [
    ("launch", ["--user", "--config", "--client", "--no-open"]),
    ("widget-url", ["--user", "--dept", "--config"]),
])
def test_sso_commands_exist(command: str, expected: list[str]) -> None:
    if not any(group.name == "sso" for group in app.registered_groups):
        _register()
    result = CliRunner().invoke(app, ["sso", command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output


def test_widget_url_command_prints_a_signed_link() -> None:
    if not any(group.name == "sso" for group in app.registered_groups):
        _register()
    env = {"HISBRIDGE_WEB__SECRET_KEY": "s", "COLUMNS": "300"}
    result = CliRunner().invoke(app, ["sso", "widget-url", "--user", "D001", "--dept", "A03"],
                                env=env)
    assert result.exit_code == 0, result.output
    assert "/ws/warnings?userId=D001&deptCode=A03&exp=" in result.output and "&sig=" in result.output
