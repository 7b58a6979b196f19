"""Whose warning is it: the addressee owns a warning's read/handled state (pure rules).

A warning addressed to a doctor (``user_id``) belongs to that doctor: colleagues who see it in
the department's widget see it marked "发给 张** 医生" and cannot change its state for them,
unless the hospital turns on ``interaction.department_handling``. A warning addressed to the
department only (no ``user_id``) belongs to every doctor of it: each has their own state.
"""

from __future__ import annotations

from dataclasses import dataclass

from hisbridge.errors import OperationRefused

__all__ = ["ACTIONS", "NotAddressee", "StateChange", "owner_of", "plan_change"]

# What a doctor can do to a warning, with the label shown to them.
ACTIONS = {"read": "标记已读 marked read", "handled": "去处理 handled"}


class NotAddressee(OperationRefused):
    """A colleague tried to change the state of a warning addressed to another doctor."""


@dataclass(frozen=True, slots=True)
class StateChange:
    """Set ``action`` on the state of ``owner`` (the addressee), done by ``actor``."""

    msg_id: str
    owner: str
    actor: str
    action: str


def owner_of(addressee: str | None, reader: str) -> str:
    """Whose state the reader sees: the addressee's, or the reader's own for department-wide."""
    return addressee or reader


def plan_change(msg_id: str, action: str, *, addressee: str | None, actor: str,
                department_handling: bool) -> StateChange:
    """The change ``actor`` may make, or ``NotAddressee`` (the API answers 403)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    owner = owner_of(addressee, actor)
    if owner != actor and not department_handling:
        raise NotAddressee(
            f"这条预警发给了其他医生，只有本人可以标记已读或处理 "
            f"this warning is addressed to another doctor; only they can change it: {msg_id}",
            hint="请提醒该医生本人处理；如需科室内代为处理，请信息科开启 "
                 "interaction.department_handling / ask the addressee, or enable "
                 "interaction.department_handling")
    return StateChange(msg_id, owner, actor, action)
