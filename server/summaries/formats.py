"""A signed summary as JSON or CSV, and checking a copy (``seda summary verify``).

JSON is the ``SignedSummary`` itself (docs/SUMMARIES.md has its schema): the summary, the
SHA-256 of its canonical JSON and the Ed25519 signature over it, so a copy verifies offline.
CSV is one row per figure, in fixed columns, with the same hash, signature and key in its
first rows; the CSV is a pure function of the signed summary, so a copy is checked by making
it again from the stored summary its hash names and comparing bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import msgspec

from server.summaries import signing
from server.summaries.labels import label, table_title
from server.summaries.model import SignedDocument, SignedSummary, Summary

COLUMNS = (
    "record",
    "section",
    "table",
    "key",
    "label",
    "value",
    "withheld",
    "share",
    "previous",
    "change_previous",
    "year_ago",
    "change_year_ago",
)
_encoder = msgspec.json.Encoder()
_raw_decoder = msgspec.json.Decoder(SignedDocument)
_summary_decoder = msgspec.json.Decoder(Summary)


class NotASummaryError(ValueError):
    """The file is not a summary this version can read."""


def to_json(signed: SignedSummary | SignedDocument) -> bytes:
    return _encoder.encode(signed)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(signed: SignedSummary, language: str) -> Iterator[tuple[object, ...]]:
    summary = signed.summary
    meta = {
        "schema": summary.schema,
        "month": summary.month,
        "view": summary.view.value,
        "scope_level": summary.scope.level.value,
        "scope_code": summary.scope.code,
        "scope_name": summary.scope.name_fa if language == "fa" else summary.scope.name_en,
        "made_at": summary.made_at.isoformat(),
        "threshold": summary.thresholds.default,
        "sensitive_threshold": summary.thresholds.sensitive,
        "content_sha256": signed.content_sha256,
        "signature": signed.signature,
        "key_id": signed.key_id,
        "public_key": signed.public_key,
    }
    for key, value in meta.items():
        yield ("meta", "", "", key, "", value, "", "", "", "", "", "")
    for table in summary.tables:
        if table.has_total:
            yield (
                "total",
                table.section.value,
                table.name,
                "",
                table_title(table.name, language),
                table.total,
                table.total_withheld,
                "",
                "",
                "",
                "",
                "",
            )
        for cell in table.cells:
            yield (
                "cell",
                table.section.value,
                table.name,
                cell.key,
                label(table.name, cell.key, language),
                cell.value,
                cell.withheld,
                cell.share,
                cell.previous,
                cell.change_previous,
                cell.year_ago,
                cell.change_year_ago,
            )
    for timing in summary.timings:
        for key in ("count", "median_hours", "p90_hours", "within_deadline_share"):
            yield (
                "timing",
                "handled",
                timing.name,
                key,
                "",
                getattr(timing, key),
                timing.withheld,
                "",
                "",
                "",
                "",
                "",
            )
    boxes = summary.boxes
    for key, number in (
        ("boxes", boxes.boxes),
        ("weeks_expected", boxes.weeks_expected),
        ("weeks_opened", boxes.weeks_opened),
    ):
        yield ("boxes", "", "boxes", key, "", number, False, "", "", "", "", "")
    for point in summary.trend:
        yield ("trend", "", "reports", point.month, "", point.reports, point.withheld, "", "", "", "", "")
    for growth in summary.growth:
        yield (
            f"growth_{growth.against}",
            "received",
            growth.table,
            growth.key,
            label(growth.table, growth.key, language),
            growth.value,
            False,
            "",
            growth.earlier,
            growth.change,
            "",
            "",
        )
    for unit in summary.units:
        name = unit.unit.name_fa if language == "fa" else unit.unit.name_en
        yield (
            "unit",
            unit.unit.level.value,
            "reports",
            unit.unit.code,
            name,
            unit.reports,
            unit.withheld,
            "",
            "",
            "",
            "",
            "",
        )


def _inert(text: str) -> str:
    """A name or label a spreadsheet will not run as a formula (names are typed by operators)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(signed: SignedSummary, language: str) -> bytes:
    """UTF-8 with a byte-order mark (spreadsheets then read Persian right), CRLF rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in _rows(signed, language):
        row = list(record)
        row[4] = _inert(str(row[4]))
        if row[0] == "meta" and row[3] == "scope_name":
            row[5] = _inert(str(row[5]))
        assert len(row) == len(COLUMNS)  # noqa: S101 - a programming error, caught by the tests
        writer.writerow([_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def check_json(data: bytes) -> SignedSummary:
    """The signed summary in a JSON copy, if its hash and signature hold over the summary's
    bytes exactly as they stand in the copy (else ``NotASummaryError``); the caller compares
    its key with the installation's."""
    try:
        copy = _raw_decoder.decode(data)
        public = signing.unb64(copy.public_key)
        signature = signing.unb64(copy.signature)
        content = bytes(copy.summary)
        summary = _summary_decoder.decode(content)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        raise NotASummaryError from None
    genuine = signing.sha256(content).hex() == copy.content_sha256 and signing.verifies(
        public, content, signature
    )
    if not genuine or signing.key_id(public) != copy.key_id:
        raise NotASummaryError
    return SignedSummary(
        summary=summary,
        content_sha256=copy.content_sha256,
        signature=copy.signature,
        key_id=copy.key_id,
        public_key=copy.public_key,
    )


def csv_hash(data: bytes) -> str:
    """The content hash a CSV copy names (``NotASummaryError`` if it names none)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotASummaryError from None
    for row in csv.reader(io.StringIO(text)):
        if len(row) == len(COLUMNS) and row[0] == "meta" and row[3] == "content_sha256":
            digest = row[5]
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise NotASummaryError
            return digest
    raise NotASummaryError


__all__ = ["COLUMNS", "NotASummaryError", "Summary", "check_json", "csv_hash", "to_csv", "to_json"]
