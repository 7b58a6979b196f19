"""Signed, expiring URLs for the workstation pages (``/ws/...``) and their APIs.

The HIS builds the URL with a shared secret (``web.secret_key``). Format ``v2``:

1. take every query parameter except ``sig`` (``exp`` included: Unix seconds after which the
   URL is refused), as decoded text;
2. percent-encode each key and each value by RFC 3986 (UTF-8; only ``A-Z a-z 0-9 - _ . ~``
   stay as they are, a space is ``%20``);
3. sort the encoded pairs by key, join them as ``k=v`` with ``&``, and put ``v2`` and a newline
   in front: ``"v2\\nexp=1767225600&userId=D001"``;
4. ``sig`` = ``"v2."`` + the lowercase hex HMAC-SHA256 of that string with the secret.

Because every key and value is encoded, no parameter can be folded into another: a value
``DOC1&userName=X`` is signed as ``DOC1%26userName%3DX`` and never as two parameters. The
first format (raw values, unprefixed hex ``sig``) is refused with its own reason, ``old_format``.
Keys being rotated (``web.previous_secret_keys``) still verify; new links use the current key.
The recipe in Java, C# and Python is in docs/security.md; ``signed_query`` is the Python one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, urlencode

from hisbridge.errors import Terminal

__all__ = ["REFUSALS", "VERSION", "SignatureError", "canonical", "sign", "signed_query",
           "single_values", "verify"]

VERSION = "v2"
_OLD_SIG = re.compile(r"[0-9a-f]{64}")
REFUSALS = {
    "missing": "链接缺少签名参数 signed parameters missing",
    "bad": "链接签名无效 signature does not match",
    "expired": "链接已过期，请从工作站重新打开 link expired, open it again from the workstation",
    "old_format": ("链接使用旧的签名格式，请按 docs/security.md 更新 HIS 端的签名方法 (v2) "
                   "old signature format: update the HIS signer to v2 (docs/security.md)"),
    "institution": ("链接未指明本网关服务的机构（orgCode），请从工作站重新打开 "
                    "the link names no institution this gateway serves (orgCode)"),
}


class SignatureError(Terminal):
    """Why a signed URL was refused: ``reason`` is a key of ``REFUSALS``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _enc(text: str) -> str:
    return quote(text, safe="")  # RFC 3986: only unreserved characters stay


def canonical(params: Mapping[str, str]) -> str:
    """The signed string: version line, then every encoded ``k=v`` but ``sig``, sorted."""
    pairs = sorted((_enc(k), _enc(v)) for k, v in params.items() if k != "sig")
    return VERSION + "\n" + "&".join(f"{k}={v}" for k, v in pairs)


def sign(params: Mapping[str, str], secret: str) -> str:
    """The ``sig`` value of ``params`` under ``secret`` (``v2.`` + hex HMAC-SHA256)."""
    mac = hmac.new(secret.encode(), canonical(params).encode(), hashlib.sha256).hexdigest()
    return f"{VERSION}.{mac}"


def signed_query(params: Mapping[str, object], secret: str, *, now: float, ttl_s: int = 43200) -> str:
    """The query string (with ``exp`` and ``sig``) for a workstation page; ``None`` values drop."""
    values = {k: str(v) for k, v in params.items() if v is not None}
    values["exp"] = str(int(now) + ttl_s)
    values["sig"] = sign(values, secret)
    return urlencode(values)


def single_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The query as a dict; a repeated key is refused (it would be ambiguous which one counts)."""
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            raise SignatureError("bad")
        out[key] = value
    return out


def verify(params: Mapping[str, str], secrets: str | Sequence[str], *, now: float) -> None:
    """Raise ``SignatureError`` unless ``params`` carry a valid, unexpired signature.

    ``secrets``: the current key first, then keys still accepted during a rotation.
    """
    sig, exp = params.get("sig"), params.get("exp")
    if not sig or not exp:
        raise SignatureError("missing")
    if _OLD_SIG.fullmatch(sig):
        raise SignatureError("old_format")
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    if not any(hmac.compare_digest(sig, sign(params, key)) for key in keys if key):
        raise SignatureError("bad")
    if not exp.isdigit() or int(exp) < now:
        raise SignatureError("expired")
