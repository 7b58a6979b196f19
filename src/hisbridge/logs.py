"""Structured logging with personal data scrubbed from every event.

Logs are events with ids and counts, never record payloads. As a second line of defence every
string in every event (and in plain stdlib log records) passes through ``privacy.scrub``, so a
resident ID number or phone number that slips into a message is masked before it is written.
"""

from __future__ import annotations

import json as jsonlib
import logging
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

import structlog

from hisbridge.privacy import scrub

__all__ = ["ExtrasFormatter", "ScrubFilter", "configure_logging", "get_logger"]


def _scrub_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = scrub(value)
    return event


# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRS}


class ScrubFilter(logging.Filter):
    """Masks ID and phone numbers in plain ``logging`` records (third-party libraries too),
    in the message and in every string passed with ``extra=``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        for key, value in _extras(record).items():
            if isinstance(value, str):
                setattr(record, key, scrub(value))
        return True


class ExtrasFormatter(logging.Formatter):
    """One line per stdlib record, shaped like structlog's: time, level, message, then the
    ``extra=`` fields as ``key=value`` (or one JSON object with ``json=True``), so that an
    operator sees *why* (``kind=…``, ``reason=…``), not only *what*."""

    def __init__(self, *, json: bool = False) -> None:
        super().__init__()
        self.json = json

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds")

    def format(self, record: logging.LogRecord) -> str:
        extras = _extras(record)
        when = self.formatTime(record)
        level = record.levelname.lower()
        if self.json:
            event = {"timestamp": when, "level": level, "logger": record.name,
                     "event": record.getMessage(), **extras}
            line = jsonlib.dumps(event, ensure_ascii=False, default=str)
        else:
            fields = " ".join(f"{k}={v}" for k, v in extras.items())
            line = f"{when} [{level:<9}] {record.getMessage()}" + (f"  {fields}" if fields else "")
            line += f"  [{record.name}]"
        if record.exc_info:
            line += "\n" + scrub(self.formatException(record.exc_info))
        return line


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
    handler.setFormatter(ExtrasFormatter(json=json))
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
