"""The worked example: ``hisbridge init DIR`` copies it, filling in the three URLs and a fresh
push token (the HIS's Bearer token for the gateway's hospital APIs)."""

from __future__ import annotations

import secrets
import shutil
from importlib import resources
from pathlib import Path

from hisbridge.errors import ConfigError

__all__ = ["write_example"]

_PLACEHOLDERS = ("__HIS_URL__", "__FRONTEND_URL__", "__STORE_URL__", "__PUSH_TOKEN__")


def write_example(folder: Path, *, his_url: str | None = None, frontend_url: str | None = None,
                  store_url: str | None = None, force: bool = False) -> list[Path]:
    """Write hisbridge.yaml, mappings/, codemaps/ and drug_catalogue.csv into ``folder``."""
    folder = folder.resolve()
    config = folder / "hisbridge.yaml"
    if config.exists() and not force:
        raise ConfigError(f"已存在 {config} already exists", hint="加 --force 覆盖，或换一个目录")
    folder.mkdir(parents=True, exist_ok=True)
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
              frontend_url or "http://127.0.0.1:8881",
              store_url or f"sqlite:///{folder / 'hisbridge-data' / 'hisbridge.db'}",
              secrets.token_urlsafe(24))
    text = source.joinpath("hisbridge.yaml").read_text("utf-8")
    for placeholder, value in zip(_PLACEHOLDERS, values, strict=True):
        text = text.replace(placeholder, value)
    config.write_text(text, "utf-8")
    config.chmod(0o600)  # it holds the push token
    return [config, folder / "drug_catalogue.csv", *written]
