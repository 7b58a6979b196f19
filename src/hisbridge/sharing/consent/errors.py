"""Why a consent operation was refused, with the HTTP status and a Chinese message."""

from __future__ import annotations

from typing import Any

from hisbridge.errors import Terminal

__all__ = ["ConsentProblem"]


class ConsentProblem(Terminal):
    """A refused consent or record operation: ``code`` is stable, ``message_zh`` is for people."""

    def __init__(
        self,
        code: str,
        message_zh: str,
        *,
        status: int = 400,
        hint: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_zh, hint=hint)
        self.code = code
        self.message_zh = message_zh
        self.status = status
        self.data = data or {}

    def body(self) -> dict[str, Any]:
        """The JSON error body of the gateway API."""
        return {"error": self.message_zh, "code": self.code, "hint": self.hint, **self.data}
