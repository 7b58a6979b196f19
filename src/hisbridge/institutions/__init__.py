"""Institutions (机构): the one or many organisations a gateway serves.

A single hospital needs nothing here: its ``frontend`` and ``gdhealth`` settings describe the one
institution. A hospital group (县域医共体, multi-campus hospital) lists its institutions in
``institutions``; each overrides what differs (its organisation code, front-end URL and licence,
provincial partner id and secrets, the national tables that apply) and inherits the rest.
``config`` is the settings model, ``routing`` the pure rule that sends a record to the
institution whose organisation code it carries, or holds it with a reason.
"""

from hisbridge.institutions.config import Institution, InstitutionSettings, resolve_institutions
from hisbridge.institutions.routing import Routed, Unrouted, route

__all__ = ["Institution", "InstitutionSettings", "Routed", "Unrouted", "resolve_institutions", "route"]
