"""Every exception the product defines is a HisbridgeError with one verdict, drawn in errors.py.

Walks every module of the package (not the simulators nor the test rigs, which are no product,
nor ``__main__``, which runs the CLI on import) and checks the classes against the tree that
``hisbridge.errors``'s docstring draws: the same names, each under the parent it is drawn under.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import hisbridge
from hisbridge import errors
from hisbridge.errors import HisbridgeError, Terminal, Transient

_HARNESS = ("hisbridge.simulators", "hisbridge.testing", "hisbridge.__main__")


def _product_exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(hisbridge.__path__, "hisbridge."):
        if info.name.startswith(_HARNESS) or ".migrations." in info.name:
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, BaseException)
                    and obj.__module__ == module.__name__):
                assert obj.__name__ not in found, f"two exceptions named {obj.__name__}"
                found[obj.__name__] = obj
    return found


def _drawn_tree() -> dict[str, str | None]:
    """name -> parent name, as the docstring draws it (indent 4 per level under the root)."""
    doc = errors.__doc__ or ""
    lines = doc[doc.index("    HisbridgeError"):].split("\n\n", 1)[0].splitlines()
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in lines:
        match = re.search(r"[A-Za-z]\w*", line)
        assert match is not None, line
        depth = (match.start() - 4) // 4
        del stack[depth:]
        assert match.group() not in parents, f"{match.group()} drawn twice"
        parents[match.group()] = stack[-1] if stack else None
        stack.append(match.group())
    return parents


PRODUCT = _product_exceptions()


def test_the_walk_finds_the_classes_of_every_layer() -> None:
    for name in ("HisbridgeError", "StoreUnavailable", "SourceQueryError", "UserError",
                 "Problem", "DuplicateOpen", "Forbidden"):
        assert name in PRODUCT


def test_every_product_exception_is_a_hisbridge_error() -> None:
    outside = sorted(n for n, cls in PRODUCT.items() if not issubclass(cls, HisbridgeError))
    assert outside == []


def test_every_product_exception_has_exactly_one_verdict() -> None:
    for name, cls in PRODUCT.items():
        if cls is HisbridgeError:
            continue
        verdicts = [v.__name__ for v in (Transient, Terminal) if issubclass(cls, v)]
        assert len(verdicts) == 1, f"{name}: {verdicts or 'no verdict'}"


def test_the_docstring_draws_exactly_the_classes_under_their_parents() -> None:
    drawn = _drawn_tree()
    assert sorted(drawn) == sorted(PRODUCT)
    for name, parent in drawn.items():
        bases = [b.__name__ for b in PRODUCT[name].__bases__ if b.__name__ in PRODUCT]
        assert bases == ([parent] if parent else []), f"{name} drawn under {parent}, is {bases}"
