"""Every relative link in the documentation points at a file that exists (anchors ignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
                *(ROOT / "docs" / "how-to").glob("*.md")])
# [text](target) and ![alt](target); the target ends at whitespace or ")"
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def relative_targets(text: str) -> list[str]:
    """Link targets that name a local file: no scheme, no mail, not a bare anchor."""
    text = FENCE.sub("", text)
    out = []
    for target in LINK.findall(text):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/")):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        if path:
            out.append(path)
    return out


def test_the_pages_exist() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    for page in ("docs/index.md", "docs/quickstart.md", "docs/glossary.md",
                 "docs/how-to/map-a-his.md", "docs/how-to/go-live.md",
                 "docs/how-to/operate.md", "docs/how-to/rehearse-with-simulators.md"):
        assert page in names


def test_the_link_pattern_reads_the_forms_the_docs_use() -> None:
    text = ("[a](x.md) [b](../y.md#part) ![c](img/z.png) [d](https://e.org/f.md) [g](#h)\n"
            "```\n[i](not-a-link.md)\n```\n")
    assert relative_targets(text) == ["x.md", "../y.md", "img/z.png"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_points_at_a_file(page: Path) -> None:
    missing = [t for t in relative_targets(page.read_text(encoding="utf-8"))
               if not (page.parent / t).exists()]
    assert not missing, f"{page.relative_to(ROOT)}: broken links {missing}"
