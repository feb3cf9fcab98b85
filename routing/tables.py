"""Routing's data tables as JSON, for the browser's port of routing (web/protocol/routing.mjs).

The browser must decide a report's recipients exactly as ``routing.decide.route`` does (the
server re-runs it and refuses anything else), so the data the decision rests on has one
source, this package: ``web/tools/export_routing_tables.py`` writes ``tables_json()`` to
``web/generated/routing-tables.json`` at install time, and the JavaScript imports that file.
Only the logic is ported; tests/test_routing_js.py checks both halves agree.
"""

from __future__ import annotations

import json
from typing import Any

from routing.bodies import BODY_TYPES
from routing.reasons import POLICY_REASONS, RESERVED_REASONS
from routing.taxonomy import CATEGORIES
from routing.vocabulary import Authority, Channel, Concern, Level, ReporterType, ReportType, Urgency

# Raised when the meaning of a field changes, so that a stale generated file is noticed.
TABLES_FORMAT = "seda/routing-tables/v1"


def routing_tables() -> dict[str, Any]:
    """Everything the JavaScript routing needs that is data, not logic (JSON-ready).

    Lists keep the order of their Python definitions (the order forms show them in).
    """
    return {
        "format": TABLES_FORMAT,
        "body_types": [
            {
                "code": kind.code,
                "levels": [level.value for level in kind.levels],
                "authority": kind.authority.value,
                "escalates_to": kind.escalates_to,
                "article_item": kind.article_item,
            }
            for kind in BODY_TYPES
        ],
        "categories": [
            {"code": c.code, "urgent": c.urgent, "outside_organization": c.outside_organization}
            for c in CATEGORIES
        ],
        "report_types": [member.value for member in ReportType],
        "concerns": [member.value for member in Concern],
        "urgency": [member.value for member in Urgency],
        "levels": [member.value for member in Level],
        "reporter_types": [member.value for member in ReporterType],
        "channels": [member.value for member in Channel],
        "authorities": [member.value for member in Authority],
        "policy_reasons": list(POLICY_REASONS),
        "reserved_reasons": list(RESERVED_REASONS),
    }


def tables_json() -> bytes:
    """``routing_tables()`` as deterministic bytes: sorted keys, UTF-8, a trailing newline."""
    text = json.dumps(routing_tables(), ensure_ascii=False, sort_keys=True, indent=1)
    return (text + "\n").encode("utf-8")
