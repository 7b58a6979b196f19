"""A console user's or a CLI command's institution scope, from the user's codes and a filter.

A console user may be scoped to institutions (``console_users.institutions``; none: every
institution, the default). The filter of a page (``?institution=``) or a command
(``--institution``) narrows that further, never widens it. The result is a
``hisbridge.store.scope.InstitutionScope``: the SQL condition every read and action applies.
A gateway without ``institutions`` serves one institution; its scope is everything and the
filter is hidden.
"""

from __future__ import annotations

from collections.abc import Sequence

from hisbridge.errors import Terminal
from hisbridge.store.scope import InstitutionScope

__all__ = ["OutOfScope", "default_code", "narrowed", "split_codes", "visible_codes", "within"]


class OutOfScope(Terminal):
    """An institution, or an entry of one, outside the user's scope (answered 404, logged)."""


def split_codes(stored: str | None) -> tuple[str, ...]:
    """A stored institution scope (comma-separated codes) as a tuple; NULL or empty: ()."""
    return tuple(c for c in (stored or "").split(",") if c)


def default_code(served: Sequence[str], top_level: str) -> str:
    """The institution rows without one belong to: the top-level ``frontend.org_code`` (the
    single hospital's, or the group's original one) when served, else the first served."""
    return top_level if top_level in served or not served else served[0]


def visible_codes(served: Sequence[str], user_codes: Sequence[str]) -> list[str]:
    """The institutions (of those the gateway serves) a user may choose in the filter."""
    return [c for c in served if not user_codes or c in user_codes]


def narrowed(user_codes: Sequence[str], default: str, chosen: str | None = None) -> InstitutionScope:
    """The scope of a user (``user_codes``; none: every institution) narrowed to ``chosen``.

    ``OutOfScope`` when ``chosen`` is not one the user may see."""
    codes = frozenset(user_codes) if user_codes else None
    if chosen:
        if codes is not None and chosen not in codes:
            raise OutOfScope(f"机构不在您的范围内 institution outside your scope: {chosen}")
        codes = frozenset({chosen})
    return InstitutionScope(codes, default)


def within(codes: Sequence[str], scope: Sequence[str]) -> bool:
    """Is a user scoped to ``codes`` inside a manager's ``scope`` (none: every institution)?
    A scoped manager's users are scoped too, to some of its own institutions."""
    return not scope or (bool(codes) and set(codes) <= set(scope))
