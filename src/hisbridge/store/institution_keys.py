"""How a hospital group's records are keyed and routed in the store (docs/routing.md).

One HIS serves every institution of a group, so one HIS key (a patient, a doctor) may rightly
go to two institutions. In a group the stored ``record_id`` is the key qualified by the
institution's organisation code, ``<org_code>/<key>`` (``qualified``), in ``records``,
``record_keys``, ``outbox`` and ``quarantine`` alike: institution A's versions never supersede,
unchange or wait behind institution B's, and each institution's parent/child and version
order holds on its own. The body sent carries the bare key (the record's own fields). A single
institution's gateway stores bare keys, as it always did, and leaves ``institution`` NULL.

``Routing`` is what the intake needs of the group (``hisbridge.institutions.routing``
builds it): which institution a record of a table carrying an organisation code goes to, or the
violation it is held with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hisbridge.dictionary import Violation

__all__ = ["ORG_KEYS", "SEPARATOR", "Routing", "carried_org", "qualified", "unqualified"]

SEPARATOR = "/"
ORG_KEYS = ("org_code", "orgCode")  # where a record carries its organisation code


@dataclass(frozen=True, slots=True)
class Routing:
    """A group's routing for the intake: ``route(table, org_code)`` is the organisation code of
    the institution to send to, or the violation to hold the record with; ``codes`` every
    configured institution's code (a delete naming only its key goes to each that has it)."""

    route: Callable[[str, str], str | Violation]
    codes: tuple[str, ...]


def qualified(org_code: str, key: str) -> str:
    """The stored ``record_id`` of HIS ``key`` at institution ``org_code``."""
    return f"{org_code}{SEPARATOR}{key}"


def unqualified(record_id: str) -> tuple[str, str]:
    """(org_code, key) of a stored group ``record_id`` (organisation codes have no ``/``)."""
    org, _, key = record_id.partition(SEPARATOR)
    return org, key


def carried_org(record: Mapping[str, Any]) -> str:
    """The organisation code a record carries (its ``org_code``; for the tables without one,
    the routing column the mapping selects beside the national fields), or ''."""
    for name in ORG_KEYS:
        value = record.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""

