"""structlog configuration: JSON lines, an allow-list of fields, no exception messages.

Why an allow-list: a log line is copied to places (terminals, collectors, backups) that the
threat model cannot protect, so only fields known to be harmless may reach it. Request
bodies, query strings, tokens, client addresses and user agents are never among them.
Exception *messages* are dropped too (a database error can quote the row it refused); the
type and the code location are kept so an operator can still find the fault.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from server.db.types import round_down_to_hour
from server.settings import Settings

# Every key a Sedā log line may carry. Adding one is a reviewed change: say in the commit
# why the value can never hold report content, an identity, a token, a key or an address.
ALLOWED_FIELDS: frozenset[str] = frozenset(
    {
        "timestamp",
        "level",
        "event",
        "logger",
        "request_id",
        "method",
        "route",
        "status",
        "duration_ms",
        "exc_type",
        "exc_where",
        "dropped_fields",
        "component",
        "count",
        "revision",
        "database",
        "listen",
        "workers",
        # A sentence written in Sedā's own code (e.g. a SettingsError): never built from data.
        "fixed_message",
    }
)


def keep_allowed_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Drop every key not in ``ALLOWED_FIELDS``; name the dropped keys (never their values)."""
    dropped = sorted(key for key in event_dict if key not in ALLOWED_FIELDS)
    for key in dropped:
        del event_dict[key]
    if dropped:
        event_dict["dropped_fields"] = dropped
    return event_dict


def summarise_exception(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Replace ``exc_info`` by the exception's type and innermost code location, no message."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        exc_type, _, tb = exc_info
        event_dict["exc_type"] = f"{exc_type.__module__}.{exc_type.__qualname__}"
        frames = traceback.extract_tb(tb)
        if frames:
            last = frames[-1]
            event_dict["exc_where"] = f"{last.filename}:{last.lineno} in {last.name}"
    return event_dict


def first_line_only(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Keep only the first line of a foreign (standard library) message.

    Some libraries format a whole traceback, exception message included, into the message
    text; the first line says what happened, the rest may quote data.
    """
    event = event_dict.get("event")
    if isinstance(event, str) and "\n" in event:
        event_dict["event"] = event.split("\n", 1)[0]
    return event_dict


def coarsen_times(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Every line's time is the start of its local hour, like the database's (SECURITY.md §4).

    An exact time on a submission's line would date the report finer than the hour; so would
    exact times on the lines around it (health probes, errors), so no line keeps one. The
    same +03:30 hour boundaries as the database, so the two cannot intersect into less.
    """
    hour = round_down_to_hour(datetime.now(UTC))
    event_dict["timestamp"] = hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event_dict


def _enrichers() -> list[Processor]:
    """Processors that add fields (level, logger, time) to every event."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        coarsen_times,
    ]


def _filters() -> list[Processor]:
    """Processors that remove what must not be written; always the last before rendering."""
    return [summarise_exception, keep_allowed_fields]


def _renderer(settings: Settings) -> Processor:
    if settings.log_format == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer(sort_keys=True)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Route structlog and the standard library's logging through the same allow-list."""
    level = logging.getLevelNamesMapping()[settings.log_level.upper()]
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(stdlib_formatter(settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library loggers that could echo SQL parameters or request details stay at WARNING.
    for noisy in ("sqlalchemy", "aiosqlite", "asyncpg", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    _route_uncaught_errors_to_logging()
    structlog.configure(
        processors=[*_enrichers(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def stdlib_formatter(settings: Settings) -> structlog.stdlib.ProcessorFormatter:
    """A ``logging.Formatter`` that applies Sedā's processors and renderer."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_enrichers(), first_line_only],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_filters(),
            _renderer(settings),
        ],
    )


def _route_uncaught_errors_to_logging() -> None:
    """Uncaught exceptions and warnings go through the filters too, not raw to the terminal."""
    log = logging.getLogger("seda.uncaught")

    def log_exception(exc_type: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.critical("uncaught_exception", exc_info=(exc_type, value, tb))

    def log_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            log.critical(
                "uncaught_thread_exception", exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
            )

    sys.excepthook = log_exception
    threading.excepthook = log_thread_exception
    logging.captureWarnings(True)


def get_logger(name: str) -> Any:
    """A structlog logger; every field it is given still passes the allow-list."""
    return structlog.get_logger(name)


def logging_dictconfig(settings: Settings) -> dict[str, Any]:
    """The same formatting for servers that configure logging through ``dictConfig`` (Granian)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "seda": {"()": stdlib_formatter, "settings": settings},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "seda",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "_granian": {
                "handlers": ["console"],
                "level": settings.log_level.upper(),
                "propagate": False,
            },
            "granian.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


__all__ = [
    "ALLOWED_FIELDS",
    "configure_logging",
    "first_line_only",
    "get_logger",
    "keep_allowed_fields",
    "logging_dictconfig",
    "stdlib_formatter",
    "summarise_exception",
]
