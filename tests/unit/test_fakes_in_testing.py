"""Fakes live only in ``hisbridge.testing`` (issue 18): no product package carries one."""

from __future__ import annotations

import ast
from pathlib import Path

import hisbridge

ROOT = Path(hisbridge.__file__).parent
HARNESS = {"testing", "simulators"}


def _product_modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] not in HARNESS]


def test_no_product_module_defines_a_fake() -> None:
    found = []
    for path in _product_modules():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and \
                    node.name.lower().lstrip("_").startswith("fake"):
                found.append(f"{path.relative_to(ROOT)}:{node.name}")
        if path.stem.startswith("fake"):
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_no_product_module_starts_uvicorn_in_a_thread() -> None:
    """The one uvicorn-in-a-thread helper is ``hisbridge.testing.serve_app``."""
    found = [str(p.relative_to(ROOT)) for p in _product_modules()
             if "threading.Thread(target=server.run" in p.read_text("utf-8")]
    assert found == []


def test_no_product_class_is_a_test_stand_in() -> None:
    """A class "for tests" lives in ``hisbridge.testing``; the time seam keeps its manual clock
    (the simulators, which may not import ``hisbridge.testing``, run on it)."""
    found = []
    for path in _product_modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            doc = ast.get_docstring(node) if isinstance(node, ast.ClassDef) else None
            if doc and "for tests" in doc.lower():
                found.append(f"{path.relative_to(ROOT)}:{node.name}")  # type: ignore[union-attr]
    assert found == ["_clock.py:ManualClock"]


def test_the_memory_stand_ins_keep_what_they_are_given() -> None:
    from hisbridge.connectors.frontend.keys import SecretKey
    from hisbridge.testing import MemoryDeliveredLookup, MemoryKeyCache

    cache = MemoryKeyCache()
    assert cache.load() is None
    key = SecretKey("k-1", obtained_at=1_700_000_000.0, expires_at=1_700_003_600.0)
    cache.save(key)
    assert cache.load() is key
    lookup = MemoryDeliveredLookup({("base_user", "D001")})
    assert lookup.is_delivered("base_user", "D001")
    assert not lookup.is_delivered("base_user", "D002")
