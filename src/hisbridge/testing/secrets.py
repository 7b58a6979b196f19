"""Secrets for tests: settings carry no secret defaults, so tests that build a gateway get these.

They are drawn at random once per test process (``hisbridge secrets new``'s generator), never
written in the source, so no value here can become a published default. A child process gets
the same ones through ``secret_env()``.
"""

from __future__ import annotations

from typing import Any

from hisbridge.settings import Settings
from hisbridge.settings.secrets import new_secret

__all__ = ["TEST_SECRETS", "secret_env", "secret_settings", "with_test_secrets"]

_NAMES = ("web.secret_key", "push.token", "gdhealth.partner_secret", "gdhealth.callback_secret",
          "gdhealth.sm4_key")


def _draw() -> dict[str, dict[str, str]]:
    drawn: dict[str, dict[str, str]] = {}
    for name in _NAMES:
        section, key = name.split(".")
        drawn.setdefault(section, {})[key] = new_secret(name)
    return drawn


TEST_SECRETS: dict[str, dict[str, str]] = _draw()


def with_test_secrets(**sections: Any) -> dict[str, Any]:
    """Settings values: ``sections`` (they win) over ``TEST_SECRETS``."""
    merged: dict[str, Any] = {name: dict(values) for name, values in TEST_SECRETS.items()}
    for name, given in sections.items():
        if isinstance(given, dict) and name in merged:
            merged[name].update(given)
        else:
            merged[name] = given
    return merged


def secret_settings(**sections: Any) -> Settings:
    """``Settings`` with the test secrets under ``sections``."""
    return Settings(**with_test_secrets(**sections))


def secret_env() -> dict[str, str]:
    """``TEST_SECRETS`` as ``HISBRIDGE_…`` variables for a child ``hisbridge run`` (they beat
    the config file, so a test's own token must be ``TEST_SECRETS["push"]["token"]``)."""
    return {f"HISBRIDGE_{section.upper()}__{key.upper()}": value
            for section, values in TEST_SECRETS.items() for key, value in values.items()}
