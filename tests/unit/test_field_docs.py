"""Reading a field's meaning from the source: Field(description=...), docstring, comments."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field, SecretStr

from hisbridge.settings.docs import allowed_text, type_name, walk_settings
from hisbridge.settings.field_docs import class_field_docs, source_field_docs

CASES = [
    ("comment above", "class A:\n    # how long to wait\n    x: int = 1\n", "how long to wait"),
    ("two comment lines", "class A:\n    # first line\n    # second line\n    x: int = 1\n",
     "first line second line"),
    ("end of line", "class A:\n    x: int = 1  # seconds\n", "seconds"),
    ("above and end", "class A:\n    # above\n    x: int = 1  # after\n", "above after"),
    ("docstring wins", "class A:\n    # a comment\n    x: int = 1\n    \"\"\"The docstring.\"\"\"\n",
     "The docstring."),
    ("blank line breaks", "class A:\n    # about something else\n\n    x: int = 1\n", ""),
    ("previous field's comment", "class A:\n    w: int = 0  # w only\n    x: int = 1\n", ""),
    ("multi-line field", "class A:\n    x: list[int] = Field(\n        default_factory=list,\n    )  # ids\n",
     "ids"),
    ("nothing", "class A:\n    x: int = 1\n", ""),
    ("indented class", "    class A:\n        # inner\n        x: int = 1\n", "inner"),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_source_field_docs(source: str, expected: str) -> None:
    assert source_field_docs(source)["x"].text == expected


def test_docstring_and_comment_are_kept_apart() -> None:
    doc = source_field_docs("class A:\n    # c\n    x: int = 1\n    \"\"\"d\"\"\"\n")["x"]
    assert (doc.docstring, doc.comment) == ("d", "c")


class _Base(BaseModel):
    # from the base class
    inherited: int = 0


class _Sample(_Base):
    """A sample section."""

    # a comment
    commented: int = Field(3, ge=1, le=9)
    described: str = Field("x", description="from Field")  # not this comment
    mode: Literal["a", "b"] = "a"
    """from the docstring"""
    token: SecretStr | None = None
    key: SecretStr = SecretStr("do-not-print")


def test_class_field_docs_reads_base_classes() -> None:
    docs = class_field_docs(_Sample)
    assert docs["inherited"].text == "from the base class"
    assert docs["commented"].text == "a comment"


def test_walk_settings_order_of_sources_and_secrets() -> None:
    (section,) = walk_settings(_Sample)
    rows = {s.path: s for s in section.settings}
    assert section.doc == "A sample section."
    assert rows["described"].description == "from Field"
    assert rows["mode"].description == "from the docstring"
    assert rows["commented"].description == "a comment"
    assert (rows["commented"].default, rows["commented"].allowed) == ("3", "≥ 1, ≤ 9")
    assert (rows["mode"].type, rows["mode"].allowed) == ("str", '`"a"`, `"b"`')
    assert (rows["token"].default, rows["key"].default) == ("secret, no default", "(secret)")
    assert rows["key"].env == "HISBRIDGE_KEY" and all(r.secret for r in (rows["token"], rows["key"]))


@pytest.mark.parametrize(("annotation", "expected"), [
    (int, "int"), (str | None, "str | None"), (list[str], "list[str]"),
    (dict[str, str], "dict[str, str]"), (Literal["x", "y"] | None, "str | None"),
])
def test_type_name(annotation: object, expected: str) -> None:
    assert type_name(annotation) == expected


def test_allowed_text_pattern_and_lengths() -> None:
    class M(BaseModel):
        a: str = Field("ab", min_length=1, max_length=4, pattern="^a|b$")

    assert allowed_text(M.model_fields["a"]) == "length ≥ 1, length ≤ 4, matches `^a|b$`"
