"""The Chinese national ciphers (国密), pure: SM3 digests (request signatures, the audit chain)
and SM4 field encryption of ID numbers, phones and names inside ``data`` (api.md A.1).

SM4-ECB with PKCS#7 padding, base64 text — our proposal; the guide may ask for CBC or AES
[ANALOG:S46]. The key is exchanged at onboarding (``settings.gdhealth.sm4_key``): 16 bytes of
text, or 32 hexadecimal digits for the 16 raw bytes (what ``hisbridge init`` generates).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from gmssl import func, sm3, sm4

from hisbridge.errors import ConfigError

__all__ = ["FieldCipher", "sm3_hex"]


def _openssl_sm3() -> bool:
    try:
        return hashlib.new("sm3", b"abc").hexdigest().startswith("66c7f0f4")
    except ValueError:
        return False


_FAST_SM3 = _openssl_sm3()


def sm3_hex(data: bytes) -> str:
    """SM3 digest of ``data`` as lower-case hex (OpenSSL when it has SM3, else gmssl)."""
    if _FAST_SM3:  # ~100x faster than pure Python: matters when verifying a long audit chain
        return hashlib.new("sm3", data).hexdigest()
    return str(sm3.sm3_hash(func.bytes_to_list(data)))


def _key_bytes(key: str) -> bytes:
    """16 raw bytes from 32 hex digits, or the 16 bytes of a 16-byte text key."""
    if len(key) == 32:
        try:
            return bytes.fromhex(key)
        except ValueError:
            pass
    raw = key.encode("utf-8")
    if len(raw) != 16:
        raise ConfigError(
            "gdhealth.sm4_key 必须是 32 位十六进制或 16 字节 / must be 32 hex digits or 16 bytes",
            hint="使用平台入网时交换的 SM4 密钥，或 hisbridge secrets new gdhealth.sm4_key "
                 "/ use the key exchanged at onboarding",
        )
    return raw


class FieldCipher:
    """Encrypt/decrypt one text field with the onboarding SM4 key."""

    def __init__(self, key: str) -> None:
        self._key = _key_bytes(key)

    def encrypt(self, plain: str) -> str:
        """Base64 of the SM4 ciphertext of ``plain``."""
        cipher = sm4.CryptSM4()
        cipher.set_key(self._key, sm4.SM4_ENCRYPT)
        return base64.b64encode(cipher.crypt_ecb(plain.encode("utf-8"))).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """The plain text, or None if ``token`` is not a ciphertext of our key."""
        try:
            data = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError):
            return None
        if not data or len(data) % 16:
            return None
        cipher = sm4.CryptSM4()
        cipher.set_key(self._key, sm4.SM4_DECRYPT)
        try:
            plain = cipher.crypt_ecb(data)
            return bytes(plain).decode("utf-8")
        except (UnicodeDecodeError, ValueError, IndexError):
            return None
