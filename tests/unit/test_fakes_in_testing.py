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
