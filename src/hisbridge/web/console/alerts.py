"""``/console/alerts``: firing and resolved alerts, the rules' thresholds, evaluate now."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hisbridge.ops.alerts import store
from hisbridge.ops.alerts.rules import RULES
from hisbridge.ops.alerts.service import AlertService
from hisbridge.web.console.common import checked_form, log_action, require
from hisbridge.web.console.render import page

__all__ = ["alert_service", "router"]

router = APIRouter(include_in_schema=False)

RULE_LABELS = {
    "dead_growth": ("死信增长", "dead-letter growth"),
    "pending_old": ("待发积压", "pending too old"),
    "source_idle": ("数据源空闲", "source idle"),
    "target_unreachable": ("上报目标不可达", "target unreachable"),
    "key_expiring": ("接口密钥即将过期", "secret key expiring"),
}


def alert_service(request: Request) -> AlertService:
    """The app's alert service (made on first use when the app did not set one)."""
    found = getattr(request.app.state, "alerts", None)
    if not isinstance(found, AlertService):
        found = AlertService(request.app.state.engine, request.app.state.console.settings.alerts,
                             clock=request.app.state.clock)
        request.app.state.alerts = found
    return found


@router.get("/console/alerts")
async def alerts_page(request: Request) -> Response:
    require(request, "view_alerts")
    engine = request.app.state.engine
    active = await asyncio.to_thread(store.list_alerts, engine, active=True)
    resolved = await asyncio.to_thread(store.list_alerts, engine, active=False, limit=50)
    cfg = request.app.state.console.settings.alerts
    notice = {"1": "已评估 evaluated"}.get(request.query_params.get("done", ""))
    return page(request, "alerts.html", active=active, resolved=resolved, cfg=cfg, rules=RULES,
                rule_labels=RULE_LABELS, notice=notice)


@router.post("/console/alerts/evaluate")
async def evaluate_now(request: Request) -> Response:
    """Evaluate the rules now (operator/admin); sent and stored like a scheduled run."""
    who, _ = await checked_form(request, "replay")
    decided = await alert_service(request).run_once()
    await log_action(request, who, "alerts.evaluate", {}, {
        "new": len(decided.new), "reminded": len(decided.remind), "resolved": len(decided.resolved)})
    return RedirectResponse("/console/alerts?done=1", 303)
