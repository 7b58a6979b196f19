"""Which settings are secrets, what makes one usable, and how a fresh one is made.

No secret has a usable default: each is empty until ``hisbridge init`` (or ``hisbridge secrets
new NAME``) generates it. ``hisbridge run`` refuses to start while a required secret is missing,
shorter than its minimum or equal to a value that once shipped as a default or an example
(``FORMER_DEFAULTS``); ``hisbridge check`` reports each as set / missing / weak without showing
it. No I/O: the settings (and the environment, for ``HISBRIDGE_PUSH_TOKEN``) go in, verdicts
come out; ``new_secret`` draws from ``secrets``. See docs/security.md.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hisbridge.errors import ConfigError

if TYPE_CHECKING:
    from hisbridge.settings import Settings

__all__ = [
    "FORMER_DEFAULTS",
    "RULES",
    "SecretEntry",
    "SecretRule",
    "SecretVerdict",
    "entry",
    "judge",
    "kept_or_new",
    "new_secret",
    "require_secrets",
    "secret_entries",
    "secret_verdicts",
]

# Every value that ever shipped as a default or an example of a secret (source, README, docs,
# templates). A gateway using one of them is open to anyone who read the source.
FORMER_DEFAULTS: frozenset[str] = frozenset({
    "change-me-in-production",  # web.secret_key (settings.py until issue 14)
    "change-me-partner-secret",  # gdhealth.partner_secret
    "change-me-callback-secret",  # gdhealth.callback_secret
    "0123456789abcdef",  # gdhealth.sm4_key
    # the init template's placeholders, should a copy of it never be filled in
    "__PUSH_TOKEN__", "__WEB_SECRET_KEY__", "__GD_PARTNER_SECRET__", "__GD_CALLBACK_SECRET__",
    "__GD_SM4_KEY__",
    # the fixed values hisbridge.testing shipped before its test secrets were drawn at random
    "testing-only-web-secret-key-1234567890", "testing-only-push-token-1234567890",
    "testing-only-partner-secret-123", "testing-only-callback-secret-123", "testing-only-sm4",
    "…", "...", "secret", "s3cret", "changeme", "change-me", "password", "token",
})
_PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "replace-me", "your-secret",
                      "testing-only")

_GENERATE = "hisbridge secrets new {name}"

Kind = Literal["token", "sm4"]
Verdict = Literal["set", "missing", "weak", "off"]


@dataclass(frozen=True, slots=True)
class SecretEntry:
    """One secret setting: its dotted name, value (None when unset), minimum and kind."""

    name: str
    value: str | None
    minimum: int
    required: bool = True
    kind: Kind = "token"


@dataclass(frozen=True, slots=True)
class SecretVerdict:
    """How one secret stands, never carrying its value."""

    name: str
    verdict: Verdict
    reason: str = ""

    @property
    def blocks(self) -> bool:
        """True when the gateway must not start with this secret as it is."""
        return self.verdict in ("missing", "weak")


def _text(value: object) -> str | None:
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
    return raw if isinstance(raw, str) and raw else None


def _sm4_ok(value: str) -> bool:
    hex_digits = len(value) == 32 and all(c in "0123456789abcdefABCDEF" for c in value)
    return hex_digits or len(value.encode("utf-8")) == 16


def judge(entry: SecretEntry) -> SecretVerdict:
    """The verdict on one secret: missing, weak (too short, wrong form, former default) or set."""
    value = entry.value
    if not value:
        return SecretVerdict(entry.name, "missing" if entry.required else "off",
                             "未设置 not set" if entry.required else "")
    lowered = value.strip().lower()
    if value in FORMER_DEFAULTS or lowered in FORMER_DEFAULTS or any(
            word in lowered for word in _PLACEHOLDER_WORDS):
        return SecretVerdict(entry.name, "weak", "公开的默认值/示例值 a published default or example")
    if entry.kind == "sm4" and not _sm4_ok(value):
        return SecretVerdict(entry.name, "weak",
                             "SM4 密钥须为 32 位十六进制或 16 字节 must be 32 hex digits or 16 bytes")
    if len(value) < entry.minimum:
        return SecretVerdict(entry.name, "weak",
                             f"短于 {entry.minimum} 个字符 shorter than {entry.minimum} characters")
    if len(set(value)) < min(6, entry.minimum // 4):
        return SecretVerdict(entry.name, "weak", "字符重复过多 too few distinct characters")
    return SecretVerdict(entry.name, "set")


@dataclass(frozen=True, slots=True)
class SecretRule:
    """What a usable value of one secret setting looks like."""

    minimum: int
    kind: Kind = "token"


# Every secret setting hisbridge has, by dotted name (``[i]`` items share their list's rule).
RULES: dict[str, SecretRule] = {
    "web.secret_key": SecretRule(32),
    "web.previous_secret_keys": SecretRule(32),
    "push.token": SecretRule(24),
    "gdhealth.partner_secret": SecretRule(16),
    "gdhealth.callback_secret": SecretRule(24),
    "gdhealth.sm4_key": SecretRule(16, "sm4"),
    "interaction.webhook.secret": SecretRule(24),
    "console.alerts.webhook_secret": SecretRule(24),
    "console.api_token": SecretRule(24),
    "console.metrics_token": SecretRule(24),
}


def entry(name: str, value: object, required: bool = True) -> SecretEntry:
    """The entry of secret setting ``name`` (a key of ``RULES``, or ``list[i]``) with ``value``."""
    rule = RULES[name.split("[")[0]]
    return SecretEntry(name, _text(value), rule.minimum, required, rule.kind)


def secret_entries(settings: Settings, environ: Mapping[str, str] = os.environ) -> list[SecretEntry]:
    """Every secret setting with its value; required where its feature is on.

    Always: ``web.secret_key`` (and each ``web.previous_secret_keys`` item) and the push token.
    With gdhealth on: its three secrets. With a webhook URL set: that webhook's secret. The
    console's machine tokens are optional (unset = that access is off) but judged when set.
    """
    web, gd, console = settings.web, settings.gdhealth, settings.console
    webhook = settings.interaction.webhook
    previous = getattr(web, "previous_secret_keys", None) or []
    return [
        entry("web.secret_key", web.secret_key),
        *(entry(f"web.previous_secret_keys[{i}]", old) for i, old in enumerate(previous)),
        entry("push.token", _text(settings.push.token) or environ.get("HISBRIDGE_PUSH_TOKEN")),
        entry("gdhealth.partner_secret", gd.partner_secret, gd.enabled),
        entry("gdhealth.callback_secret", gd.callback_secret, gd.enabled),
        entry("gdhealth.sm4_key", gd.sm4_key, gd.enabled),
        entry("interaction.webhook.secret", webhook.secret, bool(webhook.url)),
        entry("console.alerts.webhook_secret", console.alerts.webhook_secret,
              bool(console.alerts.webhook_url)),
        entry("console.api_token", console.api_token, False),
        entry("console.metrics_token", console.metrics_token, False),
    ]


def secret_verdicts(entries: Iterable[SecretEntry]) -> list[SecretVerdict]:
    """``judge`` over a list of entries (``secret_entries`` or any other)."""
    return [judge(item) for item in entries]


def require_secrets(settings: Settings, environ: Mapping[str, str] = os.environ) -> None:
    """Raise one ConfigError naming every missing or weak secret and how to make a new one."""
    bad = [v for v in secret_verdicts(secret_entries(settings, environ)) if v.blocks]
    if not bad:
        return
    lines = "; ".join(f"{v.name}: {v.reason}（{_GENERATE.format(name=v.name.split('[')[0])}）"
                      for v in bad)
    raise ConfigError(
        f"密钥缺失或不安全，网关不启动 refusing to start, missing or unsafe secrets: {lines}",
        hint="用 hisbridge secrets new NAME 生成并写入配置、环境变量或 secrets 目录 / generate "
             "each with `hisbridge secrets new NAME` and put it in the config file, the "
             "environment or HISBRIDGE_SECRETS_DIR (docs/security.md)")


def new_secret(name: str) -> str:
    """A fresh random value in the form ``name`` needs (SM4: 32 hex digits = 16 bytes)."""
    rule = RULES.get(name)
    if rule is None:
        raise ConfigError(f"不是密钥设置 not a secret setting: {name}",
                          hint="可选 one of: " + ", ".join(sorted(RULES)))
    return secrets.token_hex(16) if rule.kind == "sm4" else secrets.token_urlsafe(32)


def kept_or_new(name: str, old: object) -> str:
    """``old`` when it is a usable value of ``name``, else a fresh one (``init --force``)."""
    kept = entry(name, old)
    return kept.value if kept.value and judge(kept).verdict == "set" else new_secret(name)
