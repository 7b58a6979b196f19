"""Rendering console pages: the Jinja2 environment, the common context and error pages."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hisbridge._clock import CHINA_TZ
from hisbridge.console.i18n import pick_lang, translator
from hisbridge.console.roles import ROLE_LABELS, Permission, allowed
from hisbridge.console.sessions import Principal
from hisbridge.privacy import scrub

__all__ = ["LANG_COOKIE", "NAV", "env", "fmt_age", "fmt_time", "page", "principal_of"]

LANG_COOKIE = "hb_lang"
_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# (path, label key, permission) in menu order; a user sees the entries their role allows.
NAV: list[tuple[str, str, Permission]] = [
    ("/console/", "nav.dashboard", "view_dashboard"),
    ("/console/quality", "nav.quality", "view_quality"),
    ("/console/records", "nav.records", "view_records"),
    ("/console/dead", "nav.dead", "view_dead"),
    ("/console/reconcile", "nav.reconcile", "view_reconcile"),
    ("/console/warnings", "nav.warnings", "view_warnings"),
    ("/console/consents", "nav.consents", "view_consents"),
    ("/console/audit", "nav.audit", "view_audit"),
    ("/console/alerts", "nav.alerts", "view_alerts"),
    ("/console/config", "nav.config", "view_config"),
    ("/console/actions", "nav.actions", "view_actions"),
    ("/console/users", "nav.users", "manage_users"),
]


def fmt_time(moment: datetime | None) -> str:
    """China time, to the second; empty for None."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def fmt_age(seconds: float | None, lang: str = "zh") -> str:
    """``3 分 20 秒`` / ``3 min 20 s``; empty for None."""
    if seconds is None:
        return ""
    s = int(seconds)
    units = (("天", "d"), ("小时", "h"), ("分", "min"), ("秒", "s"))
    parts = [(s // 86400, units[0]), (s % 86400 // 3600, units[1]), (s % 3600 // 60, units[2]),
             (s % 60, units[3])]
    shown = [f"{n} {u[1] if lang == 'en' else u[0]}" for n, u in parts if n][:2]
    return " ".join(shown) or ("0 s" if lang == "en" else "0 秒")


env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.filters["time"] = fmt_time
env.filters["scrub"] = lambda v: scrub(str(v)) if v is not None else ""


def principal_of(request: Request) -> Principal | None:
    """The logged-in user of this request (set by the guard), if any."""
    found = request.scope.get("state", {}).get("principal")
    return found if isinstance(found, Principal) else None


def _lang(request: Request) -> tuple[str, bool]:
    query = request.query_params.get("lang")
    default = request.app.state.console.settings.default_lang
    return pick_lang(query, request.cookies.get(LANG_COOKIE), default), query in ("zh", "en")


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``console/<template>`` with the common context (user, menu, language, CSRF)."""
    lang, chosen = _lang(request)
    who = principal_of(request)
    t = translator(lang)
    nav = [(path, t(key)) for path, key, perm in NAV if who and allowed(who.role, perm)]
    role_label = ROLE_LABELS.get(who.role, (who.role, who.role))[lang == "en"] if who else ""  # type: ignore[call-overload]
    html = env.get_template(f"console/{template}").render(
        request=request, t=t, lang=lang, user=who, role_label=role_label, nav=nav,
        csrf=who.csrf_token if who else "", here=request.url.path,
        age=lambda s: fmt_age(s, lang), can=lambda p: bool(who and allowed(who.role, p)),
        **context)
    response = HTMLResponse(html, status)
    # no-store, CSP, frame-ancestors 'none': hisbridge.web.page_headers, for every page
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
