"""The ``/console/config`` page's logic: the settings in force, every secret replaced by ``******``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr

__all__ = ["MASK", "config_sections", "flatten", "masked_settings", "secret_like"]

MASK = "******"
_SECRET_WORDS = ("password", "secret", "token", "license", "licence", "key")


def secret_like(name: str) -> bool:
    """A key whose name says it holds a secret, even where it is not typed ``SecretStr``."""
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS) and not lowered.endswith(
        ("_path", "_param", "_field", "_style", "_minutes", "_hours", "_s"))


def _mask_url(value: str) -> str:
    # user:password@host in database URLs
    if "://" in value and "@" in value.split("://", 1)[1]:
        scheme, rest = value.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:{MASK}@{host}"
    return value


def _masked(name: str, value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, BaseModel):
        return {k: _masked(k, getattr(value, k)) for k in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): _masked(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(name, v) for v in value]
    if isinstance(value, str):
        return MASK if secret_like(name) and value else _mask_url(value)
    return value if value is None or isinstance(value, (int, float, bool)) else str(value)


def masked_settings(settings: BaseModel) -> dict[str, Any]:
    """A nested dict of ``settings`` safe to show: secrets masked, URL passwords masked."""
    return {k: _masked(k, getattr(settings, k)) for k in type(settings).model_fields}


def flatten(tree: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` -> ``[("a.b", 1)]``, lists shown whole."""
    rows: list[tuple[str, Any]] = []
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


def config_sections(settings: BaseModel) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Each top-level section of ``settings``, masked, as ``(dotted key, value)`` rows."""
    tree = masked_settings(settings)
    return [(name, flatten(value) if isinstance(value, dict) else [(name, value)])
            for name, value in tree.items()]
