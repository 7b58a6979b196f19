"""Who the platform says the patient is, and which authorization channels can reach them.

The viewer asks the platform (api.md A1 ``person/resolve``) before it offers any channel: a
person the platform does not know gets one clear message and no channel at all; a known
resident is offered only the channels that can reach them (no real-name phone → no SMS, no
粤健通 account → no app push), each missing one with its reason. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hisbridge.sharing.consent.model import Channel
from hisbridge.sharing.consent.platform import PersonInfo

__all__ = ["REACH_BY_CODE", "ChannelOffer", "Reach", "ReachState"]


class ReachState(StrEnum):
    FOUND = "FOUND"  # the platform knows the resident
    NOT_FOUND = "NOT_FOUND"  # 2001
    MISMATCH = "MISMATCH"  # 2002: name and ID number disagree with the platform's register
    BAD_CODE = "BAD_CODE"  # 2003: e-health code invalid or expired
    UNAVAILABLE = "UNAVAILABLE"  # the platform could not answer now
    UNCHECKED = "UNCHECKED"  # gdhealth.resolve_person_first is off


REACH_BY_CODE = {"2001": ReachState.NOT_FOUND, "2002": ReachState.MISMATCH, "2003": ReachState.BAD_CODE}

_MESSAGES = {
    ReachState.NOT_FOUND: "平台未找到该居民,不能申请调阅授权。请核对患者的证件号码和姓名;"
    "患者可先在粤健通完成实名注册后再申请。",
    ReachState.MISMATCH: "患者姓名与证件号码和平台登记的不一致,不能申请调阅授权。请核对患者身份信息。",
    ReachState.BAD_CODE: "患者的电子健康码无效或已过期,请患者刷新健康码后重新打开本页。",
    ReachState.UNAVAILABLE: "暂时无法向平台确认患者信息,部分授权方式可能不可用。",
}
_BLOCKING = frozenset({ReachState.NOT_FOUND, ReachState.MISMATCH, ReachState.BAD_CODE})


@dataclass(frozen=True, slots=True)
class ChannelOffer:
    """One channel as the viewer shows it: offered (``reason`` empty) or not, and why."""

    channel: Channel
    label: str
    reason: str = ""

    @property
    def offered(self) -> bool:
        return not self.reason


@dataclass(frozen=True, slots=True)
class Reach:
    state: ReachState
    person: PersonInfo | None = None

    @property
    def blocked(self) -> bool:
        """No channel can be offered: the platform does not know this person as given."""
        return self.state in _BLOCKING

    @property
    def message(self) -> str:
        return _MESSAGES.get(self.state, "")

    @property
    def guardian_needed(self) -> bool:
        return bool(self.person and self.person.is_minor)

    def offers(self) -> list[ChannelOffer]:
        """Every channel with the reason it cannot be used ("" when it can); none if blocked."""
        if self.blocked:
            return []
        p = self.person
        no_app = "患者未开通粤健通,不能使用粤健通授权" if p and not p.has_app else ""
        no_phone = "平台无该居民的实名手机号,不能使用短信验证码" if p and not p.has_phone else ""
        return [
            ChannelOffer(Channel.APP, "粤健通授权", no_app),
            ChannelOffer(Channel.SMS, "短信验证码", no_phone),
            ChannelOffer(Channel.AUTH_CODE, "授权码"),
        ]
