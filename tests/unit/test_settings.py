from __future__ import annotations

from pathlib import Path

import pytest

from hisbridge.errors import ConfigError
from hisbridge.settings import load_settings


def test_yaml_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "hisbridge.yaml"
    cfg.write_text("frontend:\n  base_url: http://127.0.0.1:9999\n  key_style: snake\n"
                   "store:\n  url: sqlite:///x.db\n", "utf-8")
    monkeypatch.setenv("HISBRIDGE_FRONTEND__BASE_URL", "http://127.0.0.1:8881")
    monkeypatch.setenv("HISBRIDGE_PUSH__TOKEN", "s3cret")
    s = load_settings(cfg)
    assert s.frontend.base_url == "http://127.0.0.1:8881"
    assert s.frontend.key_style == "snake" and s.store.url == "sqlite:///x.db"
    assert s.push.token is not None and s.push.token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s)


def test_missing_file_says_where(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(err.value)


def test_invalid_value_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("frontend:\n  mode: carrier-pigeon\n", "utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "frontend.mode" in str(err.value)
