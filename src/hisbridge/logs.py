"""Structured logging with personal data scrubbed from every event.

Logs are events with ids and counts, never record payloads. As a second line of defence every
string in every event (and in plain stdlib log records) passes through ``privacy.scrub``, so a
resident ID number or phone number that slips into a message is masked before it is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from hisbridge.privacy import scrub

__all__ = ["ScrubFilter", "configure_logging", "get_logger"]


def _scrub_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = scrub(value)
    return event


class ScrubFilter(logging.Filter):
    """Masks ID and phone numbers in plain ``logging`` records (third-party libraries too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


class _StderrLogger:
    """Writes each rendered event to whatever ``sys.stderr`` is *now* (never a stale handle)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_factory(*_args: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Set up structlog + stdlib logging once, at the edge (CLI, demo, run)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    renderer: Any = (structlog.processors.JSONRenderer() if json
                     else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            _scrub_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_stderr_factory,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
