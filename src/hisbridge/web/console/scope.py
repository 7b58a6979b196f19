"""The institution scope of a console request: the user's institutions, narrowed by the
page's filter (``?institution=`` or the posted form's), as one ``InstitutionScope``.

Every page reads through ``reader_scope``; the filter select (``filter_context``) lists the
institutions the user may choose and is hidden on a single-institution gateway. A filter or an
entry outside the user's scope raises ``OutOfScope``: answered 404 and written to the action
log (``scope.refused``), the same for every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from hisbridge.ops.scope import default_code, narrowed, visible_codes
from hisbridge.ops.sessions import Principal
from hisbridge.store.scope import InstitutionScope

__all__ = ["InstitutionFilter", "filter_context", "institution_scope", "reader_scope", "served"]

FIELD = "institution"


@dataclass(frozen=True, slots=True)
class InstitutionFilter:
    """What the filter select shows: the choices (code, name) and the one chosen; and how a
    row's institution is shown (``label``) in the tables of a group's gateway (``group``)."""

    choices: list[tuple[str, str]]
    chosen: str
    default: str = ""
    names: dict[str, str] = field(default_factory=dict)

    @property
    def shown(self) -> bool:
        return len(self.choices) > 1 or bool(self.chosen)

    @property
    def group(self) -> bool:
        return len(self.names) > 1

    def label(self, code: str | None) -> str:
        """A stored institution as its name (NULL: the default institution's)."""
        owner = code or self.default
        return self.names.get(owner, owner)


def served(request: Request) -> list[tuple[str, str]]:
    """The institutions the gateway serves, as (org_code, name)."""
    settings = request.app.state.settings
    return [(i.org_code, i.name) for i in settings.institution_list()]


def _default(request: Request, codes: list[str]) -> str:
    return default_code(codes, request.app.state.settings.frontend.org_code)


def _user_codes(request: Request) -> tuple[str, ...]:
    who = request.scope.get("state", {}).get("principal")  # set by the guard
    return who.institutions if isinstance(who, Principal) else ()


def reader_scope(request: Request, values: Mapping[str, Any] | None = None) -> InstitutionScope:
    """The scope of this request: its user's institutions, narrowed by the filter in
    ``values`` (default: the query string); ``OutOfScope`` for a filter outside it."""
    chosen = str((request.query_params if values is None else values).get(FIELD) or "")[:50]
    codes = [code for code, _ in served(request)]
    return narrowed(_user_codes(request), _default(request, codes), chosen or None)


def institution_scope(request: Request, code: str | None) -> InstitutionScope | None:
    """The scope of a machine caller's ``institution`` (every one without it); None for a code
    the gateway does not serve."""
    codes = [c for c, _ in served(request)]
    if code and code not in codes:
        return None
    return narrowed((), _default(request, codes), code or None)


def filter_context(request: Request) -> InstitutionFilter:
    """The filter select of a page: the institutions the user may choose."""
    names = dict(served(request))
    codes = visible_codes(list(names), _user_codes(request))
    chosen = request.query_params.get(FIELD, "")[:50]
    return InstitutionFilter([(c, names[c]) for c in codes], chosen if chosen in codes else "",
                             _default(request, list(names)), names)
