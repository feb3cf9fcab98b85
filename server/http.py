"""Cross-cutting HTTP behaviour: the canonical request log line, security headers, the
request class."""

from __future__ import annotations

import secrets
import time
from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import SerializationException
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from server.errors import PROBLEMS, ProblemDetails
from server.i18n import DEFAULT_LANGUAGE, catalogue
from server.logging import get_logger
from server.metrics.hourly import HourlyRequestMetrics

log = get_logger("seda.http")

# Scripts, styles, fonts, fetches and the worker come from this origin only. WebAssembly
# (Argon2id, in hash-wasm) needs 'wasm-unsafe-eval', which allows compiling WebAssembly
# and nothing else: no inline script, no eval, no string-built functions.
PAGE_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "connect-src 'self'",
        "style-src 'self'",
        "font-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        # DOM sinks (innerHTML, script URLs) take only values a named policy made: the pages
        # write text through textContent, and the one policy, "seda", allows the worker's URL.
        "require-trusted-types-for 'script'",
        "trusted-types seda",
    )
)
# The pages' scripts get the pages' policy: a dedicated worker runs under the policy its own
# script was served with, and the Argon2id worker compiles WebAssembly.
SCRIPTS_PREFIX = "/static/js/"

# The API serves JSON only; pages that need more get a policy of their own.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: every response carries the headers above (unless it set its own)."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        if scope.get("path", "").startswith(SCRIPTS_PREFIX) and "content-security-policy" not in headers:
            headers["content-security-policy"] = PAGE_CSP
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value


class SedaRequest(Request[Any, Any, Any]):
    """Litestar's request, but every malformed JSON body is refused as one (400).

    msgspec reports invalid UTF-8 inside a string as ``UnicodeDecodeError`` and nesting deeper
    than the interpreter allows as ``RecursionError``, not as ``DecodeError``; Litestar lets
    those through, and they became 500s.
    """

    async def json(self) -> Any:
        try:
            return await super().json()
        except (UnicodeDecodeError, RecursionError):
            raise SerializationException("malformed JSON body") from None


# Methods are logged as sent only if they are one of these: the method is client-chosen text.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestLog:
    """One log line per HTTP request, around the whole application (unrouted requests too).

    Only the method, the *route template* (``/reports/{report_id}``, never the path that was
    asked for), the status and the duration are logged: no query string, no body, no client
    address, no user agent. A random ``request_id`` ties the line to others of the request.
    """

    def __init__(self, app: ASGIApp, metrics: HourlyRequestMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            route = scope.get("path_template") or "<unmatched>"
            log.info(
                "request",
                request_id=secrets.token_hex(8),
                method=method,
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )
            if self.metrics is not None:
                self.metrics.observe_request(route, method, status, seconds)


class InflightLimit:
    """Answer 503 at once when this process already handles ``limit`` API requests.

    A flood then costs the server a counter check, not a queue of waiting requests that
    would time out together; clients retry after ``Retry-After`` (a receipt is only sent
    after a commit, so a refused request lost nothing). Health checks are never refused.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if self.inflight >= self.limit:
            await send_busy(send)
            return
        self.inflight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight -= 1


async def send_busy(send: Send) -> None:
    body = busy_problem()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"2"),
        *((name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
    ]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 503, "headers": headers}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


def busy_problem() -> bytes:
    problem = PROBLEMS["unavailable"]
    texts = catalogue(DEFAULT_LANGUAGE)
    return msgspec.json.encode(
        ProblemDetails(
            type="urn:seda:problem:unavailable",
            title=texts.gettext(problem.title_key),
            status=503,
            detail=texts.gettext(problem.detail_key),
            code="unavailable",
        )
    )
