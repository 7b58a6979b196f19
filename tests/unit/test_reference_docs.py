"""docs/configuration.md and docs/cli.md: current, complete, and never showing a secret."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import BaseModel, SecretStr
from typer.testing import CliRunner

from hisbridge.cli import _register, app
from hisbridge.cli.reference import render_cli_markdown
from hisbridge.settings import Settings
from hisbridge.settings.docs import walk_settings
from hisbridge.settings.reference import SECTION_TITLES_ZH, render_configuration_markdown

_register()
ROOT = Path(__file__).resolve().parents[2]
CONFIG_DOC = ROOT / "docs" / "configuration.md"
CLI_DOC = ROOT / "docs" / "cli.md"


def leaves(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf field (path, default), found independently of the generator."""
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            yield from leaves(sub, (*prefix, name))
        else:
            yield (*prefix, name), info.get_default(call_default_factory=True)


def command_paths(command: Any, path: str = "hisbridge") -> Iterator[str]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:  # old names kept for scripts (``spec``) are not documented
            yield from command_paths(sub, f"{path} {name}")


def test_configuration_doc_is_current() -> None:
    committed = CONFIG_DOC.read_text("utf-8")
    assert committed == render_configuration_markdown(), \
        "run: hisbridge docs config --out docs/configuration.md"


def test_cli_doc_is_current() -> None:
    committed = CLI_DOC.read_text("utf-8")
    assert committed == render_cli_markdown(), "run: hisbridge docs cli --out docs/cli.md"


def test_every_leaf_setting_appears_with_its_env_variable() -> None:
    text = render_configuration_markdown()
    found = list(leaves(Settings))
    assert len(found) > 150
    for path, _ in found:
        env = "HISBRIDGE_" + "__".join(path).upper()
        assert f"| `{'.'.join(path)}` | `{env}` |" in text, path


def test_no_secret_default_is_printed() -> None:
    text = render_configuration_markdown()
    secrets = [(p, d) for p, d in leaves(Settings) if isinstance(d, SecretStr)]
    assert {".".join(p) for p, _ in secrets} >= {"web.secret_key", "gdhealth.partner_secret"}
    for path, default in secrets:
        assert not default.get_secret_value(), path  # no secret has a usable default
        assert f"| `{'.'.join(path)}` |" in text and "| secret, no default |" in text


def test_every_command_appears() -> None:
    text = render_cli_markdown()
    paths = list(command_paths(typer.main.get_command(app)))
    assert {"hisbridge dictionary docs", "hisbridge docs config", "hisbridge outbox replay"} <= set(paths)
    for path in paths:
        assert f"`{path}`" in text, path
    assert "hisbridge spec" not in text  # the hidden old name of `dictionary`
    assert "`--table, -t`" in text and "national table name" in text


def test_every_setting_and_section_is_described() -> None:
    sections = list(walk_settings(Settings))
    assert [s.path for s in sections if not s.doc] == []
    assert [x.path for s in sections for x in s.settings if not x.description] == []


def test_every_section_has_a_chinese_title() -> None:
    assert set(SECTION_TITLES_ZH) == set(Settings.model_fields)


@pytest.mark.parametrize(("env", "value", "path", "expected"), [
    ("HISBRIDGE_DELIVERY__RETRY_BASE_S", "7.5", ("delivery", "retry_base_s"), 7.5),
    ("HISBRIDGE_INTERACTION__SERVER__FIELDS__MSG_ID", "mid", ("interaction", "server", "fields", "msg_id"),
     "mid"),
    ("HISBRIDGE_CONSOLE__OPEN_API_PREFIXES", '["/x"]', ("console", "open_api_prefixes"), ["/x"]),
])
def test_documented_env_variable_sets_the_key(monkeypatch: pytest.MonkeyPatch, env: str, value: str,
                                             path: tuple[str, ...], expected: Any) -> None:
    assert f"`{env}`" in CONFIG_DOC.read_text("utf-8")
    monkeypatch.setenv(env, value)
    got: Any = Settings()
    for part in path:
        got = getattr(got, part)
    assert got == expected


def test_secrets_dir_reads_one_file_per_setting_as_documented(tmp_path: Path) -> None:
    assert "`frontend__license`" in CONFIG_DOC.read_text("utf-8")
    (tmp_path / "frontend__license").write_text("LIC-TEST-1\n", "utf-8")
    (tmp_path / "push__token").write_text("tok-1", "utf-8")
    settings = Settings(_secrets_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.frontend.license is not None
    assert settings.frontend.license.get_secret_value() == "LIC-TEST-1"
    assert settings.push.token is not None and settings.push.token.get_secret_value() == "tok-1"


def test_the_environment_beats_a_secrets_file(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "push__token").write_text("from-file", "utf-8")
    monkeypatch.setenv("HISBRIDGE_PUSH__TOKEN", "from-env")
    settings = Settings(_secrets_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.push.token is not None and settings.push.token.get_secret_value() == "from-env"


def test_docs_command_writes_the_files(tmp_path: Path) -> None:
    runner = CliRunner()
    for kind, render in (("config", render_configuration_markdown), ("cli", render_cli_markdown)):
        out = tmp_path / f"{kind}.md"
        result = runner.invoke(app, ["docs", kind, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text("utf-8") == render()
