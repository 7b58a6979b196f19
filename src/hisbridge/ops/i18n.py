"""UI strings of the console in Chinese (first) and English, and how the language is chosen.

Templates call ``t("key")``; a missing key shows the key itself so a gap is visible, never an
error. The language comes from ``?lang=`` (remembered in a cookie), then the cookie, then the
configured default.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LANGS", "STRINGS", "pick_lang", "translator"]

LANGS = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "brand": ("hisbridge 运维控制台", "hisbridge operations console"),
    "nav.dashboard": ("总览", "Dashboard"),
    "nav.quality": ("数据质量", "Data quality"),
    "nav.records": ("记录查询", "Records"),
    "nav.dead": ("死信", "Dead letters"),
    "nav.reconcile": ("对账", "Reconciliation"),
    "nav.warnings": ("预警消息", "Warnings"),
    "nav.consents": ("授权", "Authorizations"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.config": ("配置", "Configuration"),
    "nav.alerts": ("告警", "Alerts"),
    "nav.actions": ("操作记录", "Action log"),
    "nav.users": ("用户", "Users"),
    "logout": ("退出", "Log out"),
    "institution": ("机构", "Institution"),
    "institution.all": ("全部（我的范围）", "All (my scope)"),
    "institution.apply": ("切换", "Apply"),
    "institution.scope": ("机构范围", "Institutions"),
    "institution.scope_hint": ("逗号分隔的机构代码，留空为全部机构",
                               "comma-separated organisation codes; empty: every institution"),
    "login.title": ("登录", "Log in"),
    "login.user": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.bad": ("用户名或密码错误（多次失败后会暂停登录一段时间，管理员可解锁）",
                  "Wrong user name or password (after repeated failures logins pause for a while;"
                  " an administrator can unlock)"),
    "login.missing": ("请输入用户名和密码", "Enter your user name and password"),
    "login.expired": ("会话已过期，请重新登录", "Your session ended; please log in again"),
    "csrf.bad": ("表单已过期或来源不明，请刷新页面后重试",
                 "The form expired or came from elsewhere; reload and retry"),
    "forbidden": ("您的角色无权访问此页面或执行此操作", "Your role may not open this page or do this"),
    "notfound": ("未找到", "Not found"),
    "not_configured": ("未启用", "not configured"),
    "not_configured.hint": ("此功能所需的组件尚未安装或配置",
                            "the component this needs is not installed or configured"),
    "bad_input": ("输入有误", "Invalid input"),
    "role": ("角色", "Role"),
    "table": ("表", "Table"),
    "state": ("状态", "State"),
    "count": ("数量", "Count"),
    "total": ("合计", "Total"),
    "search": ("查询", "Search"),
    "reset": ("重置", "Reset"),
    "none": ("无", "none"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "dash.title": ("今日运行总览", "Today at a glance"),
    "dash.extracted": ("抽取", "Extracted"),
    "dash.accepted": ("接收", "Accepted"),
    "dash.rejected": ("拒收", "Rejected"),
    "dash.delivered": ("已上报", "Delivered"),
    "dash.dead": ("死信", "Dead"),
    "dash.pending": ("待发送", "Pending"),
    "dash.oldest": ("最久待发", "Oldest pending"),
    "dash.throughput": ("近 24 小时上报量", "Throughput, last 24 hours"),
    "dash.sources": ("数据源", "Sources"),
    "dash.targets": ("上报目标", "Targets"),
    "dash.last_poll": ("最近轮询", "Last poll"),
    "dash.last_success": ("最近成功", "Last success"),
    "dash.live": ("实时更新", "live"),
    "dash.health.ok": ("正常", "healthy"),
    "dash.health.bad": ("异常", "failing"),
    "dash.health.idle": ("空闲", "idle"),
    "dash.alerts": ("当前告警", "Active alerts"),
    "quality.violations": ("校验不通过", "Validation failures"),
    "quality.field": ("字段", "Field"),
    "quality.rule": ("规则", "Rule"),
    "quality.examples": ("示例（已脱敏）", "Examples (masked)"),
    "quality.unmapped": ("未映射代码", "Unmapped codes"),
    "quality.held": ("被扣留的记录", "Records held back"),
    "quality.kind": ("类别", "Kind"),
    "quality.kind.quarantined": ("隔离", "Quarantined"),
    "quality.kind.waiting": ("等待上级记录", "Waiting for a parent"),
    "quality.key": ("主键", "Key"),
    "quality.since": ("自", "Since"),
    "quality.outcome": ("处理", "Outcome"),
    "quality.outcome.unmapped": ("未对照，原样发送", "not mapped, sent as is"),
    "quality.outcome.dropped": ("可选映射已丢弃，未发送", "dropped by an optional map, not sent"),
    "quality.outcome.generalised": ("已泛化为上级代码", "sent as the broader code"),
    "quality.code_set": ("值域", "Code set"),
    "quality.code": ("源代码", "Source code"),
    "records.patient": ("患者 ID", "Patient id"),
    "records.serial": ("就诊流水号", "Visit serial number"),
    "records.from": ("起", "From"),
    "records.to": ("止", "To"),
    "records.id": ("记录 ID", "Record id"),
    "records.version": ("版本", "Version"),
    "records.versions": ("版本历史", "Versions"),
    "records.attempts": ("发送记录与接收方回复", "Attempts and replies"),
    "records.links": ("上下级记录", "Parent and child records"),
    "records.received": ("接收时间", "Received"),
    "records.none": ("没有符合条件的记录", "No record matches"),
    "dead.reason": ("原因", "Reason"),
    "dead.error_code": ("错误码", "Error code"),
    "dead.preview": ("预览数量", "Preview count"),
    "dead.replay": ("重发", "Replay"),
    "dead.confirm": ("确认重发 {n} 条死信？", "Replay {n} dead letters?"),
    "dead.done": ("已重发 {n} 条（{s} 条已被新版本取代，未重发）",
                  "Replayed {n} ({s} superseded by newer versions, skipped)"),
    "dead.webhooks": ("HIS 回调死信", "Dead HIS webhook deliveries"),
    "dead.webhooks_hint": ("推送给 HIS 的预警消息多次失败后放弃；修复 HIS 接口后运行 "
                           "hisbridge outbox webhooks --requeue 重新推送",
                           "Warnings the HIS webhook never accepted; once the HIS endpoint is fixed, "
                           "run hisbridge outbox webhooks --requeue to send them again"),
    "dead.warning": ("预警消息", "Warning"),
    "dead.matched": ("符合条件：{n} 条，其中 {s} 条已被新版本取代", "Matching: {n}, of which {s} superseded"),
    "recon.date": ("日期", "Date"),
    "recon.resend": ("补发缺失", "Resend the missing"),
    "audit.verify": ("哈希链校验", "Hash-chain check"),
    "config.title": ("当前配置（密钥已隐藏）", "Configuration (secrets hidden)"),
    "alerts.rules": ("告警规则", "Alert rules"),
    "alerts.active": ("正在告警", "Firing"),
    "alerts.resolved": ("已恢复", "Resolved"),
    "alerts.none": ("当前无告警", "No alert is firing"),
}


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` in ``lang``; unknown keys come back as themselves."""
    index = 1 if lang == "en" else 0

    def t(key: str, **values: object) -> str:
        pair = STRINGS.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t


def pick_lang(query: str | None, cookie: str | None, default: str) -> str:
    """The language for this request: query, then cookie, then the default."""
    for candidate in (query, cookie, default):
        if candidate in LANGS:
            return candidate
    return "zh"
