"""No setting class in the source carries a literal secret default (issue 14, item 1).

An AST scan over ``src/``: in every settings class (a pydantic model, or a class named
``…Settings``/``…Config``), a field typed ``SecretStr`` or named like a secret (``secret``,
``token``, ``key``, ``password``, ``licence``; the console's ``secret_like`` rule) must not default
to a non-empty string literal — directly, through ``SecretStr("…")``/``Field("…")``, or a
``default_factory`` lambda.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import hisbridge
from hisbridge.ops.config import secret_like
from hisbridge.settings import Settings
from hisbridge.settings.secrets import FORMER_DEFAULTS

SRC = Path(hisbridge.__file__).resolve().parent


def _literal(node: ast.expr) -> str | None:
    """A non-empty string literal that ``node`` (a field's default) would produce."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value or None
    if isinstance(node, ast.Lambda):
        return _literal(node.body)
    if isinstance(node, ast.Call):
        candidates = [*node.args[:1], *(k.value for k in node.keywords
                                        if k.arg in ("default", "default_factory"))]
        for candidate in candidates:
            found = _literal(candidate)
            if found:
                return found
    return None


def _is_settings_class(cls: ast.ClassDef) -> bool:
    bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in cls.bases}
    return bool(bases & {"BaseModel", "BaseSettings"}) or cls.name.endswith(("Settings", "Config"))


def secret_defaults(root: Path) -> Iterator[str]:
    """``file:Class.field = 'literal'`` for every secret field with a literal default."""
    for path in sorted(root.rglob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(cls, ast.ClassDef) or not _is_settings_class(cls):
                continue
            for stmt in cls.body:
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                        and stmt.value is not None):
                    continue
                secret = "SecretStr" in ast.unparse(stmt.annotation) or secret_like(stmt.target.id)
                value = _literal(stmt.value)
                if secret and value:
                    yield f"{path.relative_to(root)}:{cls.name}.{stmt.target.id} = {value!r}"


def test_the_scan_finds_a_literal_secret_default(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "from pydantic import BaseModel, Field, SecretStr\n"
        "class AConfig(BaseModel):\n"
        "    secret_key: SecretStr = SecretStr('change-me')\n"
        "    api_token: str = Field('t0k3n')\n"
        "    sm4_key: SecretStr = Field(default_factory=lambda: SecretStr('0123'))\n"
        "    empty: SecretStr = SecretStr('')\n"
        "    secret_key_path: str = '/auth/secretKey'\n", "utf-8")
    found = list(secret_defaults(tmp_path))
    assert [f.split(":", 1)[1].split(" =")[0] for f in found] == [
        "AConfig.secret_key", "AConfig.api_token", "AConfig.sm4_key"]


def test_no_settings_class_in_the_source_has_a_literal_secret_default() -> None:
    assert list(secret_defaults(SRC)) == []


def test_default_settings_hold_no_secret_value() -> None:
    defaults = Settings()
    for value in (defaults.web.secret_key, defaults.gdhealth.partner_secret,
                  defaults.gdhealth.callback_secret, defaults.gdhealth.sm4_key):
        assert value.get_secret_value() == ""


def test_every_former_default_of_the_source_is_on_the_refused_list() -> None:
    # The values that shipped before issue 14 (git log -p -S change-me; 0123456789abcdef).
    assert {"change-me-in-production", "change-me-partner-secret", "change-me-callback-secret",
            "0123456789abcdef"} <= FORMER_DEFAULTS
