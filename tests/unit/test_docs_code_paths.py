"""The code the documentation names exists: one name per concept, in the docs as in the code.

Every `code span` that reads as a path under ``src/hisbridge/`` (``store/outbox.py``,
``sharing/consent/``) or as a dotted module (``hisbridge.warnings.poller``,
``runtime.sharing``) must name a file, folder or module that exists, so a rename that forgets
the docs fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "hisbridge"
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
                *(ROOT / "docs" / "how-to").glob("*.md")])
SPAN = re.compile(r"`([^`\n]+)`")
# our folders, and the names they had before issue 18 (so a page still using one fails)
FORMER = {"spec", "messages", "consent", "records", "console"}
TOP = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")} | FORMER
FILES = (".yaml", ".yml", ".json", ".csv", ".md", ".sql", ".toml", ".db")
PATH = re.compile(r"^(?:src/hisbridge/)?([a-z_]+)((?:/[A-Za-z0-9_.]+)*)(/)?$")
DOTTED = re.compile(r"^(?:hisbridge\.)?([a-z_]+)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$")


def named_paths(text: str) -> list[str]:
    """Spans that look like a path inside the package (its first folder is one of ours)."""
    out = []
    for span in SPAN.findall(text):
        for token in re.split(r"[\s,()]+", span):
            found = PATH.match(token)
            if found and "/" in token and found.group(1) in TOP and not token.endswith(FILES):
                out.append(token.removeprefix("src/hisbridge/"))
    return out


def named_modules(text: str) -> list[str]:
    """Dotted names that start with ``hisbridge.`` (``hisbridge.store.outbox``)."""
    return [t for span in SPAN.findall(text) for t in re.split(r"[\s,()`:]+", span)
            if t.startswith("hisbridge.") and DOTTED.match(t) and not t.endswith(FILES)]


def _module_exists(dotted: str) -> bool:
    parts = dotted.split(".")[1:]
    for cut in range(len(parts), 0, -1):  # the longest prefix that is a module; the rest are attributes
        base = PACKAGE.joinpath(*parts[:cut])
        if base.with_suffix(".py").exists() or (base / "__init__.py").exists():
            return cut >= len(parts) - 1  # a module, or one attribute of a module
    return False


def test_the_patterns_read_what_the_docs_write() -> None:
    text = ("`store/outbox.py` `sharing/consent/` `hisbridge.store.outbox.OutboxQueue` `pip install`"
            " `a/b` `spec/validator.py` `hisbridge.yaml`")
    assert named_paths(text) == ["store/outbox.py", "sharing/consent/", "spec/validator.py"]
    assert named_modules(text) == ["hisbridge.store.outbox.OutboxQueue"]
    assert _module_exists("hisbridge.store.outbox.OutboxQueue")
    assert not _module_exists("hisbridge.spec.validator")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_code_path_named_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = sorted({p for p in named_paths(text) if not (PACKAGE / p.rstrip("/")).exists()})
    missing += sorted({m for m in named_modules(text) if not _module_exists(m)})
    assert not missing, f"{page.relative_to(ROOT)} names code that does not exist: {missing}"
