"""The layering holds by contract (docs/architecture.md).

``lint-imports`` checks the import-linter contracts in pyproject.toml (layers, the product never
importing its simulators or test rigs, the pure core doing no I/O, adapters kept apart). The
package graph is also computed here, every import counted (module level, inside functions,
under ``TYPE_CHECKING``), and must have no cycle: that holds even for a package a contract
forgets.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "hisbridge"


def test_import_contracts_hold() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _unit(module: str) -> str:
    """``hisbridge.sharing.consent.model`` -> ``sharing``; ``hisbridge.errors`` -> ``errors``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imported(node: ast.AST, package: str) -> Iterable[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            yield ".".join([*base, node.module] if node.module else base)
        elif node.module:
            yield node.module


def package_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Edges between hisbridge's packages and top-level modules, from every import statement."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_init = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_init else parts)
        package = module if is_init else module.rpartition(".")[0]
        source = _unit(module)
        graph[source]  # every unit is a node, even one that imports nothing of ours
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _imported(node, package):
                if target.startswith(root.name + ".") and _unit(target) != source:
                    graph[source].add(_unit(target))
    return dict(graph)


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_graph_reads_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "hisbridge"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("from . import rules\n")
    (pkg / "low" / "rules.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hisbridge.high import X\n")
    (pkg / "high.py").write_text("def f():\n    import hisbridge.low.rules\n")
    graph = package_graph(pkg)
    assert graph["low"] == {"high"} and graph["high"] == {"low"}
    assert cycles(graph) == [["high", "low"]]


def test_no_cycle_between_packages() -> None:
    graph = package_graph()
    assert {"cli", "web", "store", "dictionary", "errors"} <= graph.keys()
    assert cycles(graph) == []


def test_errors_import_nothing_of_ours() -> None:
    assert package_graph()["errors"] == set()
