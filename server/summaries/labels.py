"""How a summary's names and numbers are written in a language, for every output (PDF, CSV,
charts, console): table titles, cell labels, month names, counts, shares and changes.

Labels come from the catalogues (``server/i18n/locales``): a summary's own entry
``console.summary.<table>.<key>`` first, then the entry the rest of Sedā already shows for
the key (``category.*``, ``concern.*``, ...), then, for body types, ``routing.bodies``. In
Persian every digit is Persian, and the decimal separator, the thousands separator and the
percent sign are Persian ones (U+066B, U+066C, U+066A).
"""

from __future__ import annotations

from routing.bodies import UnknownBodyTypeError, body_type
from routing.deadlines import JALALI_MONTHS
from server.i18n import catalogue
from server.summaries.model import parse_month

PREFIX = "console.summary."
# Tables whose keys the catalogues already name for the rest of Sedā.
_SHARED = {
    "category": "category.",
    "concerns": "concern.",
    "report_type": "report_type.",
    "reporter_type": "reporter_type.",
    "status": "status.",
    "outcome": "outcome.",
    "triage": "triage.",
}
# Tables that share one set of summary entries.
_OWN = {"acknowledgement_deadline": "deadline", "closure_deadline": "deadline"}
_BODY_TABLES = frozenset({"recipient_body", "escalation"})
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_PERSIAN_NUMBER = str.maketrans({**{str(d): "۰۱۲۳۴۵۶۷۸۹"[d] for d in range(10)}, ".": "٫", ",": "٬"})
# Before a sign, a left-to-right mark keeps it on the left of the digits in right-to-left
# text (CLDR's Persian minus and plus signs); without it ``-3`` shows as ``3-``.
_LRM = "\u200e"


def text(key: str, language: str, **values: object) -> str:
    """The summary's catalogue entry ``console.summary.<key>`` with ``{name}`` placeholders
    filled in (values as given: format numbers first)."""
    found = catalogue(language).gettext(PREFIX + key)
    for name, value in values.items():
        found = found.replace("{" + name + "}", str(value))
    return found


def table_title(table: str, language: str) -> str:
    return catalogue(language).gettext(f"{PREFIX}table.{table}")


def label(table: str, key: str, language: str) -> str:
    """The name of a cell's key; the key itself when nothing names it."""
    texts = catalogue(language)
    own = f"{PREFIX}{_OWN.get(table, table)}.{key}"
    if own in texts:  # e.g. status.awaiting_reporter: Sedā's text speaks to the reporter
        return texts.gettext(own)
    if table in _BODY_TABLES:
        return _body(key, language)
    if table == "referral":
        return _referral(key, language)
    shared = _SHARED.get(table)
    return texts.gettext(shared + key) if shared and shared + key in texts else key


def _body(code: str, language: str) -> str:
    try:
        found = body_type(code)
    except UnknownBodyTypeError:
        return code
    return found.name_fa if language == "fa" else found.name_en


def _referral(key: str, language: str) -> str:
    # "from>to", written in words: "از A به B", "From A to B". An arrow would need the reader
    # to know which way it points in right-to-left text (the first body stands on the right,
    # so "A ← B" in Persian), and Vazirmatn, the documents' only font, has no arrows at all.
    giver, sep, taker = key.partition(">")
    if not sep:
        return key
    return text("referral_label", language, giver=_body(giver, language), taker=_body(taker, language))


def digits(value: object, language: str) -> str:
    """``value`` as text, its Latin digits Persian in Persian."""
    shown = str(value)
    return shown.translate(_PERSIAN_DIGITS) if language == "fa" else shown


def number(value: float, language: str) -> str:
    """A count (``12٬345``) or a measure (whole ones without decimals, else one decimal)."""
    shown = f"{int(value):,}" if value == int(value) else f"{value:,.1f}"
    return shown.translate(_PERSIAN_NUMBER) if language == "fa" else shown


def percent(value: float, language: str) -> str:
    """A share in percent, one decimal: ``12.5%``, in Persian with U+066B and U+066A."""
    shown = f"{value:.1f}"
    return shown.translate(_PERSIAN_NUMBER) + "٪" if language == "fa" else shown + "%"


def change(value: int, language: str) -> str:
    """A signed difference: ``+3``, ``0``, and a fall with the minus sign (U+2212)."""
    if value == 0:
        return number(0, language)
    sign = "+" if value > 0 else "−"
    return f"{_LRM if language == 'fa' else ''}{sign}{number(abs(value), language)}"


def month_name(code: str, language: str) -> str:
    """``"1405-08"`` → ``آبان ۱۴۰۵`` / ``Aban 1405``."""
    year, month = parse_month(code)
    return f"{JALALI_MONTHS[language][month - 1]} {digits(year, language)}"
