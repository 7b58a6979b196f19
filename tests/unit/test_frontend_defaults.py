"""The front-end's defaults are typed once, in ``FrontendSettings`` (issue 18)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import yaml

from hisbridge.connectors.frontend.config import DataApiConfig, FrontendSettings, api_config
from hisbridge.project.example import write_example


def test_data_api_defaults_are_the_settings_defaults() -> None:
    defaults, derived = DataApiConfig(), api_config(FrontendSettings())
    assert [f.name for f in fields(DataApiConfig)] == [
        "base_url", "key_style", "connect_timeout_s", "timeout_s", "concurrency", "paths"]
    assert defaults == derived
    assert defaults.base_url == FrontendSettings.model_fields["base_url"].default


def test_init_example_points_at_the_default_front_end(tmp_path: Path) -> None:
    config = write_example(tmp_path / "project")[0]
    values = yaml.safe_load(config.read_text("utf-8"))
    assert values["frontend"]["base_url"] == FrontendSettings().base_url
