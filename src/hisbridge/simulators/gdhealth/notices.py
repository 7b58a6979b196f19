"""What the simulated platform tells the patient: the SMS, the 粤健通 message, the pushed code.

Every text names the requesting institution by the name patients know (never its code): the
name the hospital sends as ``grantee.orgName``, else the name the platform has on its register.
Pure functions; ``platform.py`` keeps the outboxes.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["app_text", "code_text", "requester", "sms_text"]


def requester(org_name: str, dept_name: str = "") -> str:
    """``示例市第一人民医院心内科门诊``: institution, then department when known."""
    return f"{org_name}{dept_name}" if dept_name and dept_name not in org_name else org_name


def sms_text(who: str, code: str, minutes: int) -> str:
    return (
        f"【广东健康档案】验证码{code},{who}申请调阅您的健康档案,{minutes}分钟内有效。"
        "如非本人就诊请勿告知他人。"
    )


def app_text(who: str, until: datetime) -> str:
    return (
        f"【粤健通】{who}申请调阅您的健康档案(既往诊疗、检查检验、体检、献血用血、疫苗接种),"
        f"请在 {until:%m月%d日 %H:%M} 前确认是否授权。"
    )


def code_text(who: str, code: str, minutes: int) -> str:
    return (
        f"【健康档案授权码】{who}申请调阅您的健康档案,授权码 {code},{minutes}分钟内有效,"
        "请在就诊时出示给医生。"
    )
