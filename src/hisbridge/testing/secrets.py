"""Secrets for tests: settings carry no secret defaults, so tests that build a gateway get these.

Every value contains ``testing-only``, a word ``hisbridge run`` refuses (settings_secrets), so
copying them into a real configuration cannot work.
"""

from __future__ import annotations

from typing import Any

from hisbridge.settings import Settings

__all__ = ["TEST_SECRETS", "secret_settings", "with_test_secrets"]

TEST_SECRETS: dict[str, dict[str, str]] = {
    "web": {"secret_key": "testing-only-web-secret-key-1234567890"},
    "push": {"token": "testing-only-push-token-1234567890"},
    "gdhealth": {"partner_secret": "testing-only-partner-secret-123",
                 "callback_secret": "testing-only-callback-secret-123",
                 "sm4_key": "testing-only-sm4"},  # 16 bytes
}


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
