"""Sedā's server errors and their one mapping to problem+json (RFC 9457).

Every failure a client can see is one row of ``PROBLEMS``: a stable code, an HTTP status and
catalogue keys for the title and the detail. The text is fixed per code, so a response can
never echo a database error, a ciphertext detail, a path or a value the client sent.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from server.i18n import catalogue, negotiate
from server.logging import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"

log = get_logger("seda.errors")


class Problem(msgspec.Struct, frozen=True):
    """One kind of failure a client can be told about."""

    status: int
    title_key: str
    detail_key: str


PROBLEMS: dict[str, Problem] = {
    "invalid-request": Problem(400, "problem.invalid_request.title", "problem.invalid_request.detail"),
    "unauthorized": Problem(401, "problem.unauthorized.title", "problem.unauthorized.detail"),
    "forbidden": Problem(403, "problem.forbidden.title", "problem.forbidden.detail"),
    "not-found": Problem(404, "problem.not_found.title", "problem.not_found.detail"),
    "method-not-allowed": Problem(
        405, "problem.method_not_allowed.title", "problem.method_not_allowed.detail"
    ),
    "conflict": Problem(409, "problem.conflict.title", "problem.conflict.detail"),
    "report-id-conflict": Problem(
        409, "problem.report_id_conflict.title", "problem.report_id_conflict.detail"
    ),
    "stale-directory": Problem(409, "problem.stale_directory.title", "problem.stale_directory.detail"),
    "puzzle-failed": Problem(403, "problem.puzzle_failed.title", "problem.puzzle_failed.detail"),
    "kiosk-refused": Problem(403, "problem.kiosk_refused.title", "problem.kiosk_refused.detail"),
    "channel-refused": Problem(403, "problem.channel_refused.title", "problem.channel_refused.detail"),
    "invalid-envelope": Problem(422, "problem.invalid_envelope.title", "problem.invalid_envelope.detail"),
    "routing-refused": Problem(422, "problem.routing_refused.title", "problem.routing_refused.detail"),
    "box-refused": Problem(422, "problem.box_refused.title", "problem.box_refused.detail"),
    "slip-used": Problem(409, "problem.slip_used.title", "problem.slip_used.detail"),
    "upload-incomplete": Problem(422, "problem.upload_incomplete.title", "problem.upload_incomplete.detail"),
    "payload-too-large": Problem(413, "problem.payload_too_large.title", "problem.payload_too_large.detail"),
    "unsupported-media-type": Problem(
        415, "problem.unsupported_media_type.title", "problem.unsupported_media_type.detail"
    ),
    "too-many-requests": Problem(429, "problem.too_many_requests.title", "problem.too_many_requests.detail"),
    "internal-error": Problem(500, "problem.internal_error.title", "problem.internal_error.detail"),
    "unavailable": Problem(503, "problem.unavailable.title", "problem.unavailable.detail"),
    "storage-full": Problem(503, "problem.storage_full.title", "problem.storage_full.detail"),
    "not-published": Problem(503, "problem.not_published.title", "problem.not_published.detail"),
}

# Framework errors map by status to the *first* (generic) code of that status: a 409 from
# the framework is a "conflict", never one of the specific 409s listed after it.
_CODE_BY_STATUS: dict[int, str] = {}
for _code, _problem in PROBLEMS.items():
    _CODE_BY_STATUS.setdefault(_problem.status, _code)

# Every route can fail these ways: a busy process, an unreachable or full database, or a bug.
_ANY_ROUTE = ("unavailable", "storage-full", "internal-error")


class SedaError(Exception):
    """Base of every error the server turns into a problem response on purpose."""

    code: ClassVar[str] = "internal-error"


class ServiceUnavailableError(SedaError):
    """A dependency (the database) cannot be reached, or the server is too busy; retry later."""

    code = "unavailable"
    retry_after = 5


class StorageFullError(ServiceUnavailableError):
    """The database's disk (or its size limit) is full: nothing was stored; retry later, once
    the operator has made room."""

    code = "storage-full"
    retry_after = 60


class RateLimitedError(SedaError):
    """Too many requests of this kind from this client (or from everyone); retry later."""

    code = "too-many-requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class FieldError(msgspec.Struct, frozen=True):
    """Where a request failed validation (a field path like ``routing.category``; empty if unsafe).

    The message is fixed and translated: the validator's own text can quote the value sent
    ("Invalid enum value '…'") or a key the client invented.
    """

    key: str
    message: str


class ProblemDetails(msgspec.Struct, frozen=True, omit_defaults=True):
    """The problem+json body every error response carries."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] = []


def problem_responses(*codes: str) -> dict[int, ResponseSpec]:
    """The OpenAPI ``responses`` of a handler that answers with the problems ``codes`` (and,
    like every route, ``unavailable`` and ``internal-error``): one problem+json entry a status."""
    by_status: dict[int, set[str]] = {}
    for code in (*codes, *_ANY_ROUTE):
        by_status.setdefault(PROBLEMS[code].status, set()).add(code)
    return {
        status: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_MEDIA_TYPE,
            description="Problem: " + ", ".join(sorted(names)),
            generate_examples=False,
        )
        for status, names in sorted(by_status.items())
    }


def problem_response(
    request: Request[Any, Any, Any], code: str, errors: list[FieldError] | None = None
) -> Response[ProblemDetails]:
    """Render the problem ``code`` in the language the client asked for."""
    problem = PROBLEMS[code]
    language = negotiate(request.headers.get("accept-language"))
    texts = catalogue(language)
    body = ProblemDetails(
        type=f"urn:seda:problem:{code}",
        title=texts.gettext(problem.title_key),
        status=problem.status,
        detail=texts.gettext(problem.detail_key),
        code=code,
        errors=errors or [],
    )
    return Response(
        content=body,
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"content-language": language},
    )


_NAME = r"[a-z_][a-z0-9_]{0,40}"
_SAFE_PATH = re.compile(rf"^{_NAME}(\.{_NAME}|\[[0-9]{{1,6}}\]){{0,12}}$")


def _field_errors(exc: ValidationException, language: str) -> list[FieldError]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    message = catalogue(language).gettext("problem.invalid_request.field")
    found: list[FieldError] = []
    for item in extra[:20]:
        if isinstance(item, dict):
            # Only paths made of declared (lower-case) names and indexes are echoed.
            key = str(item.get("key") or "")
            found.append(FieldError(key=key if _SAFE_PATH.match(key) else "", message=message))
    return found


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[ProblemDetails]:
    """Framework errors (404, 405, 413, validation) become the matching fixed problem."""
    code = _CODE_BY_STATUS.get(exc.status_code)
    if code is None:
        code = "invalid-request" if 400 <= exc.status_code < 500 else "internal-error"
    language = negotiate(request.headers.get("accept-language"))
    errors = _field_errors(exc, language) if isinstance(exc, ValidationException) else None
    response = problem_response(request, code, errors)
    # A 405 names the methods the route takes (RFC 9110 §15.5.6): the router's list, not input.
    if exc.status_code == 405:
        allow = {name.lower(): value for name, value in (exc.headers or {}).items()}.get("allow")
        if allow:
            response.headers["allow"] = allow
    return response


def handle_seda_error(request: Request[Any, Any, Any], exc: SedaError) -> Response[ProblemDetails]:
    """Sedā's own errors carry their problem code (and, when it helps, a Retry-After)."""
    response = problem_response(request, exc.code)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["retry-after"] = str(retry_after)
    return response


# SQLite's SQLITE_FULL (a full disk, or the file's page limit) and PostgreSQL's disk_full.
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"


def storage_full(exc: BaseException) -> bool:
    """Whether a database error says its storage is full (by the driver's code, not its text)."""
    orig = getattr(exc, "orig", None)
    return (
        getattr(orig, "sqlite_errorcode", None) == _SQLITE_FULL
        or getattr(orig, "sqlstate", None) == _PG_DISK_FULL
    )


def handle_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    """The database refused, timed out, vanished or is full: 503, so clients retry (nothing
    was acknowledged, so nothing is lost)."""
    if storage_full(exc):
        log.error("database_storage_full", exc_info=exc)  # the operator must make room
        return handle_seda_error(request, StorageFullError())
    log.warning("database_unavailable", exc_info=exc)
    return handle_seda_error(request, ServiceUnavailableError())


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ProblemDetails]:
    """Anything else is a bug: log its type and place (never its message) and answer 500."""
    log.error("unhandled_exception", exc_info=exc)
    return problem_response(request, "internal-error")


EXCEPTION_HANDLERS = {
    HTTPException: handle_http_exception,
    SedaError: handle_seda_error,
    OperationalError: handle_database_unavailable,
    DBAPIError: handle_database_unavailable,
    InterfaceError: handle_database_unavailable,
    SQLAlchemyTimeoutError: handle_database_unavailable,
    ConnectionError: handle_database_unavailable,
    # A connection to the database that could not be opened in time (engine.py's bound).
    TimeoutError: handle_database_unavailable,
    Exception: handle_unexpected,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEMS",
    "PROBLEM_MEDIA_TYPE",
    "ProblemDetails",
    "RateLimitedError",
    "SedaError",
    "ServiceUnavailableError",
    "StorageFullError",
    "problem_responses",
]
