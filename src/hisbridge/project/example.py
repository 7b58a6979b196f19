"""The worked example: ``hisbridge init DIR`` copies it, filling in the three URLs and a fresh
random value for every secret (push token, URL-signing key, provincial credentials, SM4 key).

The config is written 0600 (and a new folder 0700). Overwriting with ``force`` keeps the old
file's secrets that are still usable, so the HIS's token and the data sealed with them survive.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hisbridge._files import private_folder, write_private
from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.errors import ConfigError
from hisbridge.settings.secrets import kept_or_new

__all__ = ["write_example"]

_PLACEHOLDERS = ("__HIS_URL__", "__FRONTEND_URL__", "__STORE_URL__")
_SECRETS = {"__PUSH_TOKEN__": "push.token", "__WEB_SECRET_KEY__": "web.secret_key",
            "__GD_PARTNER_SECRET__": "gdhealth.partner_secret",
            "__GD_CALLBACK_SECRET__": "gdhealth.callback_secret",
            "__GD_SM4_KEY__": "gdhealth.sm4_key"}


def _old_value(old: dict[str, Any], dotted: str) -> object:
    for part in dotted.split("."):
        old = old.get(part) if isinstance(old, dict) else None  # type: ignore[assignment]
    return old


def _secrets(config: Path) -> dict[str, str]:
    """Placeholder → value: the old config's usable secrets, fresh random ones for the rest."""
    try:
        old = yaml.safe_load(config.read_text("utf-8")) if config.exists() else {}
    except (OSError, yaml.YAMLError):
        old = {}
    old = old if isinstance(old, dict) else {}
    return {ph: kept_or_new(name, _old_value(old, name)) for ph, name in _SECRETS.items()}


def write_example(folder: Path, *, his_url: str | None = None, frontend_url: str | None = None,
                  store_url: str | None = None, force: bool = False) -> list[Path]:
    """Write hisbridge.yaml, mappings/, codemaps/ and drug_catalogue.csv into ``folder``."""
    folder = folder.resolve()
    config = folder / "hisbridge.yaml"
    if config.exists() and not force:
        raise ConfigError(f"已存在 {config} already exists", hint="加 --force 覆盖，或换一个目录")
    private_folder(folder)
    source = resources.files("hisbridge.mapping") / "templates"
    written = []
    for part in ("mappings", "codemaps"):
        target = folder / part
        target.mkdir(exist_ok=True)
        for item in sorted(source.joinpath(part).iterdir(), key=lambda p: p.name):
            if item.name.endswith((".sql", ".csv")):
                (target / item.name).write_text(item.read_text("utf-8"), "utf-8")
                written.append(target / item.name)
    shutil.copyfile(str(source / "drug_catalogue.csv"), folder / "drug_catalogue.csv")
    values = (his_url or f"sqlite:///{folder / 'his-sim.sqlite'}",
              frontend_url or FrontendSettings().base_url,
              store_url or f"sqlite:///{folder / 'hisbridge-data' / 'hisbridge.db'}")
    text = source.joinpath("hisbridge.yaml").read_text("utf-8")
    for placeholder, value in [*zip(_PLACEHOLDERS, values, strict=True),
                               *_secrets(config).items()]:
        text = text.replace(placeholder, value)
    write_private(config, text)  # it holds the secrets: 0600 before a byte is written
    return [config, folder / "drug_catalogue.csv", *written]
