"""Rendering console pages: the Jinja2 environment, the common context and error pages."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from hisbridge._clock import CHINA_TZ, format_local, parse_local
from hisbridge.ops.i18n import pick_lang, translator
from hisbridge.ops.roles import GATEWAY_WIDE, ROLE_LABELS, Permission, allowed
from hisbridge.ops.sessions import Principal
from hisbridge.privacy import scrub
from hisbridge.web.console.scope import filter_context

__all__ = ["LANG_COOKIE", "NAV", "display_zone", "env", "fmt_age", "fmt_time", "page",
           "principal_of"]

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


def display_zone(request: Request) -> tzinfo:
    """The zone this gateway shows times in (``web.display_timezone``, else ``his.timezone``)."""
    settings = getattr(request.app.state, "settings", None)
    return settings.display_zone() if settings is not None else CHINA_TZ


def fmt_time(moment: datetime | None, zone: tzinfo = CHINA_TZ) -> str:
    """Local time with its offset (``2026-03-03 08:00:00 +08:00``); empty for None."""
    return format_local(moment, zone)


@pass_context
def _time_filter(context: Context, moment: datetime | str | None) -> str:
    """``{{ x|time }}``: a datetime, or a time stored as ISO text with its offset (audit)."""
    request = context.get("request")
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment) if moment else None
    return fmt_time(moment, display_zone(request) if request is not None else CHINA_TZ)


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
@pass_context
def _wire_time_filter(context: Context, text: str | None) -> str:
    """``{{ x|wire_time }}``: a front-end time (Beijing wall time, no zone) in the display zone."""
    try:
        moment = parse_local(text or "", CHINA_TZ)
    except ValueError:
        return text or ""
    return _time_filter(context, moment)


env.filters["time"] = _time_filter
env.filters["wire_time"] = _wire_time_filter
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
    nav = [(path, t(key)) for path, key, perm in NAV if who and allowed(who.role, perm)
           and not (who.institutions and perm in GATEWAY_WIDE)]
    role_label = ROLE_LABELS.get(who.role, (who.role, who.role))[lang == "en"] if who else ""  # type: ignore[call-overload]
    html = env.get_template(f"console/{template}").render(
        request=request, t=t, lang=lang, user=who, role_label=role_label, nav=nav,
        csrf=who.csrf_token if who else "", here=request.url.path,
        age=lambda s: fmt_age(s, lang), can=lambda p: bool(who and allowed(who.role, p)),
        inst=filter_context(request) if who else None, **context)
    response = HTMLResponse(html, status)
    # no-store, CSP, frame-ancestors 'none': hisbridge.web.page_headers, for every page
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
