"""Roles and what each may do: one table, read by the pages and by the tests.

``admin`` may do everything. ``operator`` runs the data flow: dashboards, data quality,
records, dead letters and their replay, reconciliation and resends, configuration and alerts.
``auditor`` watches the watchers: the audit log, authorizations, the console's action log, and
read-only views of records and dead letters; an auditor changes nothing.

A user scoped to institutions (``hisbridge.ops.scope``) sees every page through its scope,
except those about the whole gateway (``GATEWAY_WIDE``: the configuration, with every
institution's settings), which it may not open.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["GATEWAY_WIDE", "PERMISSIONS", "ROLE_LABELS", "Permission", "Role", "allowed", "is_role"]

Role = Literal["admin", "operator", "auditor"]
Permission = Literal[
    "view_dashboard", "view_quality", "export_codes", "view_records", "view_dead", "replay",
    "view_reconcile", "resend", "view_warnings", "view_consents", "view_audit", "export_audit",
    "view_config", "view_alerts", "view_actions", "manage_users",
]

_ALL: frozenset[Role] = frozenset({"admin", "operator", "auditor"})
_OPS: frozenset[Role] = frozenset({"admin", "operator"})
_AUDIT: frozenset[Role] = frozenset({"admin", "auditor"})

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    "view_dashboard": _ALL,
    "view_quality": _OPS,
    "export_codes": _OPS,
    "view_records": _ALL,
    "view_dead": _ALL,
    "replay": _OPS,
    "view_reconcile": _OPS,
    "resend": _OPS,
    "view_warnings": _ALL,
    "view_consents": _AUDIT,
    "view_audit": _AUDIT,
    "export_audit": _AUDIT,
    "view_config": _OPS,
    "view_alerts": _ALL,
    "view_actions": _AUDIT,
    "manage_users": frozenset({"admin"}),
}

GATEWAY_WIDE: frozenset[Permission] = frozenset({"view_config"})

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    "admin": ("管理员", "administrator"),
    "operator": ("运维人员", "operator"),
    "auditor": ("审计员", "auditor"),
}


def is_role(value: str) -> bool:
    return value in ROLE_LABELS


def allowed(role: str, permission: Permission) -> bool:
    """May ``role`` do ``permission``? Unknown roles may do nothing."""
    return role in PERMISSIONS[permission]
