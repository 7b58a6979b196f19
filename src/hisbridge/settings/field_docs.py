"""What a model's fields mean, read from its source: attribute docstrings and ``#`` comments.

Many settings are explained only by a comment in the code; the reference docs read those
comments instead of repeating them. Pydantic keeps ``Field(description=...)``; this module finds
the other two forms: a string literal right after the field, and comments right above the field
or at the end of its lines.
"""

from __future__ import annotations

import ast
import inspect
import io
import textwrap
import tokenize
from dataclasses import dataclass

__all__ = ["FieldDoc", "class_field_docs", "source_field_docs"]


@dataclass(frozen=True)
class FieldDoc:
    """The documentation found next to one field in the source."""

    docstring: str = ""
    comment: str = ""

    @property
    def text(self) -> str:
        """The docstring if there is one, else the comment."""
        return self.docstring or self.comment


def _comments(source: str) -> tuple[dict[int, str], dict[int, str]]:
    """Comments by line number: those alone on their line, and those ending a code line."""
    alone: dict[int, str] = {}
    trailing: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            line = tok.start[0]
            text = tok.string.lstrip("#").strip()
            target = alone if tok.line.strip().startswith("#") else trailing
            target[line] = f"{target[line]} {text}".strip() if line in target else text
    return alone, trailing


def _comment_for(node: ast.AnnAssign, alone: dict[int, str], trailing: dict[int, str]) -> str:
    above: list[str] = []
    line = node.lineno - 1
    while line in alone:
        above.insert(0, alone[line])
        line -= 1
    end = node.end_lineno or node.lineno
    after = [trailing[n] for n in range(node.lineno, end + 1) if n in trailing]
    return " ".join(above + after)


def _docstring_after(body: list[ast.stmt], index: int) -> str:
    if index + 1 < len(body):
        nxt = body[index + 1]
        if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            if isinstance(nxt.value.value, str):
                return inspect.cleandoc(nxt.value.value)
    return ""


def source_field_docs(source: str) -> dict[str, FieldDoc]:
    """Docs of the annotated fields of the first class in ``source``, by field name."""
    source = textwrap.dedent(source)
    classes = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    if not classes:
        return {}
    alone, trailing = _comments(source)
    body = classes[0].body
    found: dict[str, FieldDoc] = {}
    for index, node in enumerate(body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            doc = FieldDoc(_docstring_after(body, index), _comment_for(node, alone, trailing))
            found[node.target.id] = doc
    return found


def class_field_docs(cls: type) -> dict[str, FieldDoc]:
    """Docs of ``cls``'s fields, including those declared on its base classes."""
    found: dict[str, FieldDoc] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ in ("builtins", "abc") or klass.__module__.startswith("pydantic"):
            continue
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        found.update(source_field_docs(source))
    return found
