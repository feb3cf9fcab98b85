"""Rendering the reporters' pages: templates, languages, the strict page policy.

The server renders the form (labels, institutions, limits) in the reporter's language and
hands the page the root key to pin; the page's scripts fetch and verify the signed
directory and policy themselves, seal everything in the browser and never send the
plaintext or the token anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import msgspec
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from routing.taxonomy import CATEGORIES
from routing.vocabulary import Concern, ReportStatus, ReportType
from server.db.models import Outcome, ProtectionKind, Triage
from server.i18n import DEFAULT_LANGUAGE, catalogue, supported_languages
from server.intake.schemas import MAX_ATTACHMENTS, MAX_REPORTER_CHOICES, MAX_UPLOAD_CHUNKS

# Pages a reporter may open, by name; the template of each.
PAGES: dict[str, str] = {
    "home": "landing.html",
    "report": "report.html",
    "status": "status.html",
    # The officers' pages (docs/CONSOLE.md): the review console and enrolment.
    "console": "console.html",
    "enrol": "enrol.html",
}
# Languages written right to left (Art. 111 names Azerbaijani, Kurdish, Arabic and Baluchi,
# which are written in Arabic script in Iran).
RTL_LANGUAGES = frozenset({"fa", "ar", "ckb", "azb", "bal"})
# Who files through the web form (Art. 114): prisoners use kiosks and boxes.
WEB_REPORTER_TYPES = ("family", "lawyer", "staff", "citizen")
# Who a family member or lawyer is to the prisoner they file for (sealed, never routed).
RELATIONSHIPS = ("lawyer", "spouse", "parent", "child", "sibling", "relative", "other")
CONSENT = ("yes", "no", "not_asked")
# The limits the server enforces (server/intake/schemas.py), shown to and checked by the page.
MAX_ATTACHMENT_BYTES = MAX_UPLOAD_CHUNKS * 64 * 1024
MAX_TEXT_CHARACTERS = 50_000
# Catalogue prefixes the page's scripts read their texts from (web/app/i18n.mjs).
SCRIPT_MESSAGE_PREFIXES = (
    "web.js.",
    "status.",
    "via.",
    "category.",
    "report_type.",
    "concern.",
    "console.",
    "web.form.",
    "web.token.",
    "role.",
    "relationship.",
    "consent.",
    "outcome.",
    "triage.",
    "protection.",
    "reporter_type.",
)


class Option(msgspec.Struct, frozen=True):
    value: str
    label: str


class OptionGroup(msgspec.Struct, frozen=True):
    label: str
    options: list[Option]


def page_url(language: str, page: str) -> str:
    """The address of ``page`` in ``language`` (Persian, the default, has no prefix)."""
    suffix = "" if page == "home" else f"/{page}"
    if language == DEFAULT_LANGUAGE:
        return suffix or "/"
    return f"/{language}{suffix}"


# Babel formats Persian numbers with Latin digits; Persian pages use Persian ones.
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def number(language: str) -> Callable[[int], str]:
    """Integers in the language's own digits (Persian digits on Persian pages)."""

    def formatted(value: int) -> str:
        text = format_decimal(value, locale=language, group_separator=False)
        return text.translate(_PERSIAN_DIGITS) if language == "fa" else text

    return formatted


@cache
def environment() -> Environment:
    """The template environment, built once per process; every value is autoescaped."""
    env = Environment(
        loader=PackageLoader("server.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    return env


def script_messages(language: str) -> dict[str, str]:
    """The catalogue texts the page's scripts show (progress, errors, labels)."""
    texts = catalogue(language)
    known = texts.keys()
    keys = sorted(key for key in known if key.startswith(SCRIPT_MESSAGE_PREFIXES))
    return {key: texts.gettext(key) for key in keys}


def _labelled(prefix: str, values: Iterable[str], gettext: Callable[[str], str]) -> list[Option]:
    return [Option(value, gettext(f"{prefix}.{value}")) for value in values]


def render(
    page: str,
    language: str,
    *,
    root_public_key: bytes | None,
    institutions: list[OptionGroup],
) -> str:
    """The HTML of ``page`` in ``language``; ``root_public_key`` None means out of service."""
    gettext = catalogue(language).gettext
    context: dict[str, Any] = {
        "page": page,
        "lang": language,
        "dir": "rtl" if language in RTL_LANGUAGES else "ltr",
        "t": gettext,
        "n": number(language),
        "urls": {name: page_url(language, name) for name in PAGES},
        "languages": [
            {"code": code, "name": catalogue(code).gettext("language.name"), "url": page_url(code, page)}
            for code in supported_languages()
            if code != language
        ],
        "root_key": root_public_key.hex() if root_public_key else "",
        "institutions": institutions,
        # Institution codes to names for the console (its cases name institutions by code).
        "institution_names": {o.value: o.label for group in institutions for o in group.options},
        "reporter_types": _labelled("reporter_type", WEB_REPORTER_TYPES, gettext),
        "relationships": _labelled("relationship", RELATIONSHIPS, gettext),
        "consent": _labelled("consent", CONSENT, gettext),
        "report_types": _labelled("report_type", [t.value for t in ReportType], gettext),
        "categories": _labelled("category", [c.code for c in CATEGORIES], gettext),
        "concerns": _labelled("concern", [c.value for c in Concern], gettext),
        "limits": {
            "attachments": MAX_ATTACHMENTS,
            "attachment_bytes": MAX_ATTACHMENT_BYTES,
            "attachment_mib": MAX_ATTACHMENT_BYTES // (1024 * 1024),
            "text": MAX_TEXT_CHARACTERS,
            "choices": MAX_REPORTER_CHOICES,
        },
        "messages": script_messages(language),
        "statuses": [s.value for s in ReportStatus],
        # The console's choices (docs/CONSOLE.md).
        "triages": _labelled("triage", [t.value for t in Triage], gettext),
        "status_options": _labelled("status", [s.value for s in ReportStatus], gettext),
        "reply_statuses": _labelled("status", ["under_review", "awaiting_reporter"], gettext),
        "measures": _labelled("protection", [k.value for k in ProtectionKind], gettext),
        "outcomes": _labelled("outcome", [o.value for o in Outcome], gettext),
        "admin_roles": _labelled("role", ["officer", "body_admin"], gettext),
    }
    return environment().get_template(PAGES[page]).render(context)
