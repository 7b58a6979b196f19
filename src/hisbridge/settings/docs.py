"""Every settings key with its environment variable, type, default and meaning, from the code.

``walk_settings`` reads the pydantic models (recursively through nested sections) and the source
comments next to each field; ``hisbridge.settings.reference`` renders docs/configuration.md.
A secret's default value is never read out: it shows as ``(secret)`` (none has one today).
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from hisbridge.settings.field_docs import class_field_docs

__all__ = ["ENV_PREFIX", "SectionDoc", "SettingDoc", "items_doc", "root_sections", "walk_settings"]

ENV_PREFIX = "HISBRIDGE_"
_BOUNDS: tuple[tuple[type[Any], str, str], ...] = (
    (at.Gt, "gt", "> {}"), (at.Ge, "ge", "≥ {}"), (at.Lt, "lt", "< {}"), (at.Le, "le", "≤ {}"),
    (at.MinLen, "min_length", "length ≥ {}"), (at.MaxLen, "max_length", "length ≤ {}"),
)


@dataclass(frozen=True)
class SettingDoc:
    """One leaf setting, as the reference shows it."""

    path: str
    env: str
    type: str
    default: str
    allowed: str
    description: str
    secret: bool


@dataclass(frozen=True)
class SectionDoc:
    """One model (a YAML mapping): its dotted path, docstring and leaf settings."""

    path: str
    doc: str
    settings: tuple[SettingDoc, ...]


def _args(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def type_name(annotation: Any) -> str:
    """A short readable name: ``float``, ``str | None``, ``list[str]``, ``str`` for a Literal."""
    origin = get_origin(annotation)
    if annotation is type(None):
        return "None"
    if origin is Literal:
        return " | ".join(sorted({type(v).__name__ for v in get_args(annotation)}))
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in get_args(annotation))
    if origin is not None:
        inner = ", ".join(type_name(a) for a in get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or any(_is_secret(a) for a in _args(annotation))


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return tuple(v for a in _args(annotation) for v in _literal_values(a))


def value_text(value: Any) -> str:
    """A default as YAML would accept it: ``null``, ``true``, ``5.0``, ``"api"``, ``["a"]``."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _default(info: FieldInfo, secret: bool) -> str:
    value = info.get_default(call_default_factory=True)
    if secret:
        empty = value is None or (isinstance(value, SecretStr) and not value.get_secret_value())
        return "secret, no default" if empty else "(secret)"
    return value_text(value)


def allowed_text(info: FieldInfo) -> str:
    """Bounds (``≥ 1, ≤ 256``), a pattern, or the allowed values of a Literal."""
    parts = [", ".join(f"`{value_text(v)}`" for v in _literal_values(info.annotation))]
    for meta in info.metadata:
        for kind, attr, template in _BOUNDS:
            if isinstance(meta, kind):
                parts.append(template.format(getattr(meta, attr)))
        if getattr(meta, "pattern", None):
            parts.append(f"matches `{meta.pattern}`")
    return ", ".join(p for p in parts if p)


def env_name(path: tuple[str, ...]) -> str:
    """``("delivery", "retry_base_s")`` → ``HISBRIDGE_DELIVERY__RETRY_BASE_S``."""
    return ENV_PREFIX + "__".join(path).upper()


def _leaf(path: tuple[str, ...], info: FieldInfo, comment: str) -> SettingDoc:
    secret = _is_secret(info.annotation)
    return SettingDoc(".".join(path), env_name(path), type_name(info.annotation),
                      _default(info, secret), allowed_text(info),
                      info.description or comment, secret)


def walk_settings(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[SectionDoc]:
    """Each model under ``model`` (itself first, then nested sections depth first)."""
    docs = class_field_docs(model)
    leaves: list[SettingDoc] = []
    nested: list[tuple[tuple[str, ...], type[BaseModel]]] = []
    for name, info in model.model_fields.items():
        sub = _model_of(info.annotation)
        if sub is not None:
            nested.append(((*prefix, name), sub))
        else:
            doc = docs.get(name)
            leaves.append(_leaf((*prefix, name), info, doc.text if doc else ""))
    yield SectionDoc(".".join(prefix), inspect.cleandoc(model.__doc__ or ""), tuple(leaves))
    for path, sub in nested:
        yield from walk_settings(sub, path)


def root_sections(model: type[BaseModel]) -> Iterator[SectionDoc]:
    """The root model's own leaves (a list of items, like ``institutions``), a section each."""
    (root, *_) = walk_settings(model)
    for leaf in root.settings:
        yield SectionDoc(leaf.path, items_doc(model.model_fields[leaf.path].annotation), (leaf,))


def items_doc(annotation: Any) -> str:
    """For ``list[Model]``: the item's docstring and one line per item field."""
    item = next((a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)),
                None)
    if item is None:
        return ""
    docs = class_field_docs(item)
    lines = [inspect.cleandoc(item.__doc__ or ""), "", "Each item / 每一项:", ""]
    for name, info in item.model_fields.items():
        doc = docs.get(name)
        text = (doc.text if doc else "") or info.description or ""
        lines.append(f"- `{name}` ({type_name(info.annotation)}): {text}")
    return "\n".join(lines)
