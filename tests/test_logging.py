"""Logs carry an allow-list of fields: never bodies, query strings, addresses, user agents."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import structlog
from litestar import get
from litestar.testing import AsyncTestClient, TestClient

from server.app import create_app
from server.logging import configure_logging, first_line_only, keep_allowed_fields, summarise_exception
from server.settings import Settings

CANARIES = {
    "query": "canary-query-91b2",
    "body": "canary-body-5d0e",
    "path": "canary-path-c3a8",
    "agent": "canary-agent-77f0",
    "forwarded": "203.0.113.77",
    "cookie": "canary-cookie-1b9f",
    "exception": "canary-exception-e4d2",
}


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def test_request_logs_hold_no_body_query_address_agent_or_exception_text(
    migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    @get("/explode", sync_to_thread=False)
    def explode() -> None:
        raise ValueError(CANARIES["exception"])

    app = create_app(Settings(database_url=migrated_url))
    app.register(explode)
    headers = {
        "user-agent": CANARIES["agent"],
        "x-forwarded-for": CANARIES["forwarded"],
        "cookie": f"session={CANARIES['cookie']}",
    }
    async with AsyncTestClient(app) as client:
        await client.request("CANARY-METHOD-1d", "/healthz", headers=headers)
        await client.get(f"/healthz?lookup={CANARIES['query']}", headers=headers)
        await client.post("/healthz", content=CANARIES["body"].encode(), headers=headers)
        await client.get(f"/reports/{CANARIES['path']}/x", headers=headers)
        await client.get(f"/{CANARIES['path']}/report", headers=headers)  # a page in no such language
        await client.get("/explode", headers=headers)

    output = capsys.readouterr().err
    for canary in CANARIES.values():
        assert canary not in output
    assert "testclient" not in output  # the client address the test client reports

    assert "CANARY-METHOD" not in output
    requests = [line for line in _lines(output) if line.get("event") == "request"]
    assert requests[0]["method"] == "OTHER"
    assert [(line["route"], line["status"]) for line in requests[1:]] == [
        ("/healthz", 200),
        ("<unmatched>", 405),
        ("<unmatched>", 404),
        ("/{lang}/{name}", 404),
        ("/explode", 500),
    ]
    failures = [line for line in _lines(output) if line.get("event") == "unhandled_exception"]
    assert failures
    assert failures[0]["exc_type"] == "builtins.ValueError"


def test_fields_outside_the_allow_list_are_dropped_by_name() -> None:
    stream = io.StringIO()
    configure_logging(Settings(), stream=stream)
    structlog.get_logger("t").info("event", status=200, lookup_secret="canary-field-0a1b")
    line = _lines(stream.getvalue())[-1]
    assert line["status"] == 200
    assert line["dropped_fields"] == ["lookup_secret"]
    assert "canary-field-0a1b" not in stream.getvalue()


def test_standard_library_records_pass_the_same_filters() -> None:
    stream = io.StringIO()
    configure_logging(Settings(), stream=stream)
    try:
        raise KeyError("canary-stdlib-9e9e")
    except KeyError:
        logging.getLogger("somelib").exception("lookup failed\nTraceback: canary-stdlib-9e9e")
    text = stream.getvalue()
    assert "canary-stdlib-9e9e" not in text
    line = _lines(text)[-1]
    assert line["event"] == "lookup failed"
    assert line["exc_type"] == "builtins.KeyError"


def test_processors_are_pure_functions_of_the_event() -> None:
    assert keep_allowed_fields(None, "info", {"event": "x", "body": "b"}) == {
        "event": "x",
        "dropped_fields": ["body"],
    }
    assert first_line_only(None, "info", {"event": "a\nb"}) == {"event": "a"}
    try:
        raise OSError("canary")
    except OSError as error:
        summary = summarise_exception(None, "error", {"event": "e", "exc_info": error})
    assert summary["exc_type"] == "builtins.OSError"
    assert "canary" not in json.dumps(summary)


def test_log_lines_carry_only_the_local_hour(tmp_path: Path) -> None:
    stream = io.StringIO()
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    configure_logging(Settings(), stream)
    with TestClient(app) as http:
        http.get("/api/v1/no-such-thing")
        http.get("/api/v1/puzzle")
        http.get("/healthz")
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if '"request"' in line]
    stamps = {line["route"]: line["timestamp"] for line in lines}
    assert stamps["<unmatched>"].endswith(":30:00Z")  # the +03:30 hour, written in UTC
    assert stamps["/api/v1/puzzle"].endswith(":30:00Z")
    assert stamps["/healthz"].endswith(":30:00Z")  # no exact line to bracket the others
