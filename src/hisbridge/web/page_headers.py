"""Protective headers on every page and API answer of the gateway (one middleware).

Patient data is on the viewer, the warning widget, the SSO answers, the console and their
JSON/HTML fragments, so every answer but the static assets gets:

- ``Cache-Control: no-store`` — no copy left in a shared workstation's browser cache;
- ``Referrer-Policy: no-referrer`` — a signed URL never leaks through ``Referer``;
- a Content-Security-Policy: scripts, styles and calls from the gateway only (plus the
  doctor-PC client the SSO SDK calls), no inline script, and ``frame-ancestors``: for the
  workstation pages (``/ws/...``) the gateway itself plus ``web.workstation_origins`` (the HIS
  pages allowed to embed them), for everything else (console, APIs) nobody;
- ``X-Frame-Options`` saying the same to browsers without CSP: ``DENY`` outside ``/ws``; for
  ``/ws``, ``SAMEORIGIN`` with no listed origin, ``ALLOW-FROM`` with exactly one (old IE
  controls honour it), none with several;
- ``X-Content-Type-Options: nosniff``, and HSTS when browsers come over TLS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hisbridge.settings import Settings

__all__ = ["EMBEDDABLE_PREFIXES", "STATIC_PREFIXES", "PageHeaders", "page_headers"]

EMBEDDABLE_PREFIXES = ("/ws/",)
STATIC_PREFIXES = ("/ws/static/", "/ws/shared/static/", "/console/static/", "/ws/sso.js")
HSTS = "max-age=31536000"


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``; None when it has none."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _frame_options(origins: list[str] | None) -> str | None:
    if origins is None:
        return "DENY"
    if not origins:
        return "SAMEORIGIN"
    return f"ALLOW-FROM {origins[0]}" if len(origins) == 1 else None


def page_headers(settings: Settings, *, embeddable: bool) -> dict[str, str]:
    """The headers of a non-static answer under ``settings`` (pure: computed once per app);
    ``embeddable``: a workstation page the listed HIS origins may frame."""
    origins = list(settings.web.workstation_origins) if embeddable else None
    ancestors = " ".join(["'self'", *origins]) if origins is not None else "'none'"
    client = origin_of(settings.interaction.client.base_url)
    connect = " ".join(["'self'", *([client] if client else [])])
    csp = "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        f"connect-src {connect}", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ])
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", "Content-Security-Policy": csp,
               "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
    frame = _frame_options(origins)
    if frame:
        headers["X-Frame-Options"] = frame
    if settings.web.https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class PageHeaders:
    """ASGI middleware adding ``page_headers`` to every answer outside ``STATIC_PREFIXES``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.embeddable = page_headers(settings, embeddable=True)
        self.private = page_headers(settings, embeddable=False)
        self.hsts = self.private.get("Strict-Transport-Security")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        static = path.startswith(STATIC_PREFIXES)
        chosen = self.embeddable if path.startswith(EMBEDDABLE_PREFIXES) else self.private

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                extra = {"Strict-Transport-Security": self.hsts} if static and self.hsts else {}
                for name, value in (extra if static else chosen).items():
                    headers[name] = value  # replaces a route's weaker Cache-Control
            await send(message)

        await self.app(scope, receive, send_with_headers)
