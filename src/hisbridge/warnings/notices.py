"""What the widget tells a clinician above the warnings: a small ranked list of notices (pure).

One slot is not enough: a doctor whose base_user row is not synced must still learn that the
front-end is down. Each notice has a ``kind``, a ``rank`` (1 shows first) and a zh-CN text:

1. ``outage``: polls are failing or the last good poll is older than ``stale_after_s``;
2. ``key_expired`` / ``key_expiring``: the message API key is past (or within the refresh
   margin of) its end and was not renewed, so warnings will stop;
3. ``user_not_synced``: the reader's base_user row is not delivered (added per reader).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hisbridge._clock import CHINA_TZ

__all__ = ["KeyLife", "notice", "poll_status", "user_notice"]

_TEXT = {
    "outage": (1, "前置软件暂时无法连接，预警消息可能延迟，恢复后将按顺序补齐。"),
    "key_expired": (2, "前置软件接口密钥已于 {at} 过期且未能续期，暂时收不到新的预警，"
                       "请联系信息科。"),
    "key_expiring": (2, "前置软件接口密钥将于 {at} 过期，续期尚未成功；过期后将收不到新的预警，"
                        "请联系信息科。"),
    "user_not_synced": (3, "该医生的用户信息尚未同步到前置软件（base_user）：去处理（单点登录）"
                           "暂不可用，前置软件也可能收不到发给本人的预警；请联系信息科。"),
}


@dataclass(frozen=True, slots=True)
class KeyLife:
    """When the cached message API key ends and how early it should have been renewed."""

    expires_at: float
    refresh_margin_s: float


def notice(kind: str, **values: str) -> dict[str, Any]:
    rank, text = _TEXT[kind]
    return {"kind": kind, "rank": rank, "text": text.format(**values)}


def user_notice(known_user: bool | None) -> list[dict[str, Any]]:
    """The reader's own notice: base_user not synced (unknown -> nothing to say)."""
    return [notice("user_not_synced")] if known_user is False else []


def _key_notice(key: KeyLife | None, now: datetime) -> list[dict[str, Any]]:
    if key is None or now.timestamp() < key.expires_at - key.refresh_margin_s:
        return []
    at = datetime.fromtimestamp(key.expires_at, CHINA_TZ).strftime("%m-%d %H:%M")
    return [notice("key_expired" if now.timestamp() >= key.expires_at else "key_expiring", at=at)]


def poll_status(*, last_ok_at: datetime | None, failures: int, now: datetime,
                stale_after_s: float, key: KeyLife | None) -> dict[str, Any]:
    """Is the poller keeping up, and the ranked notices that follow from it."""
    age = (now - last_ok_at).total_seconds() if last_ok_at else None
    delayed = age is None or age > stale_after_s or failures > 0
    notices = ([notice("outage")] if delayed else []) + _key_notice(key, now)
    return {
        "delayed": delayed,
        "lastOkAt": last_ok_at.strftime("%Y-%m-%d %H:%M:%S") if last_ok_at else None,
        "failures": failures,
        "notices": sorted(notices, key=lambda n: n["rank"]),
    }
