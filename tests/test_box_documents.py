"""The boxes' PDFs (server/boxes/documents.py): the minutes are Persian, shaped and right to
left with Persian digits and no withheld category; slip sheets carry tokens and claim codes
that read back, and QR codes a camera decodes to the stub's token."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import crypto
from server.boxes import documents, weeks
from server.i18n import catalogue
from tests.pdf_support import char_boxes, pdf_png, pdf_text, plain, qr_codes
from tests.vectors.generate import Stream

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
OPENED = datetime(2026, 3, 18, 7, 30, tzinfo=UTC)  # Wednesday 27 Esfand 1404, 11:00 in Tehran
OPENING_ID = "0f8e1c2a-6b3d-4e5f-9a7b-1c2d3e4f5a6b"


def facts(
    place: str = "بند ۴", letters: list[documents.MinutesLetter] | None = None
) -> documents.MinutesFacts:
    return documents.MinutesFacts(
        opening_id=OPENING_ID,
        institution_name="زندان مرکزی تهران (نمونه)",
        province_name="تهران",
        box_code="tehran-central-ward-4",
        box_place=place,
        opened_at=OPENED,
        week_start=weeks.week_start(OPENED),
        transcriber_name="ثبت‌کنندهٔ صندوق",
        witnesses=["رضا احمدی، مدیر بند", "مریم کریمی، مددکار"],
        seal_numbers=["۴۴۱۲"],
        letter_count=3,
        letters=letters
        if letters is not None
        else [
            documents.MinutesLetter(
                1, "complaint", False, None, ["قاضی اجرای احکام تهران", "سازمان بازرسی کل کشور"]
            ),
            documents.MinutesLetter(
                2, "suggestion", False, "living_conditions", ["ریاست زندان مرکزی تهران (نمونه)"]
            ),
            documents.MinutesLetter(
                3, "objection", True, "visits_contact", ["ریاست زندان مرکزی تهران (نمونه)"]
            ),
        ],
    )


def test_the_minutes_are_persian_right_to_left_with_persian_digits_and_a_withheld_category() -> None:
    pdf = documents.render_minutes(facts())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_png(pdf, SCREENSHOTS / "fa-box-minutes.png")
    (page,) = map(plain, pdf_text(pdf))

    def fa(key: str) -> str:
        return plain(catalogue("fa").gettext(key))

    assert fa("boxes.minutes.title") in page
    assert "۲۷ اسفند" in page  # the date, Solar Hijri, Persian digits
    assert "ساعت ۱۱:۰۰" in page
    assert "شنبه ۲۳ اسفند ۱۴۰۴ تا جمعه ۲۹ اسفند ۱۴۰۴" in page  # the Saturday-to-Friday week
    assert fa("boxes.minutes.withheld") in page  # letter 1 went away from the institution
    assert fa("category.ill_treatment") not in page
    assert fa("category.living_conditions") in page
    # Latin digits only inside the opening id and the box's code, printed as they are.
    rest = page.replace(OPENING_ID, "").replace("tehran-central-ward-4", "")
    assert not re.search(r"[0-9]", rest), re.findall(r".{0,10}[0-9].{0,10}", rest)
    assert {"۱", "۲", "۳"} <= set(page)
    # Right to left: the title's first letter sits right of its last.
    boxes = char_boxes(pdf)
    first = next(box for char, box in boxes if char == "ص")  # the title's first letter
    last = next(box for char, box in boxes if char == "ت" and box[1] > first[1] - 8)  # in "شکایات"
    assert first[0] > last[2], (first, last)


def _span(pdf: bytes, letter: str) -> float:
    """How wide the run of five ``letter`` characters (the box's place) is on the page."""
    runs: list[list[tuple[float, float, float, float]]] = [[]]
    for char, box in char_boxes(pdf):
        if char == letter:
            runs[-1].append(box)
        elif char != "\u200c" and runs[-1]:
            runs.append([])
    (run,) = [run for run in runs if len(run) == 5]
    return max(box[2] for box in run) - min(box[0] for box in run)


def test_persian_letters_in_the_minutes_are_joined() -> None:
    """Five behs joined take far less room than five kept apart by zero-width non-joiners
    (isolated forms): the check fails if the text is not shaped."""
    joined = _span(documents.render_minutes(facts("ببببب", letters=[])), "ب")
    apart = _span(documents.render_minutes(facts("\u200c".join("ببببب"), letters=[])), "ب")
    assert joined < 0.7 * apart, (joined, apart)


def test_the_english_minutes_run_left_to_right_with_latin_digits() -> None:
    (page,) = map(plain, pdf_text(documents.render_minutes(facts(), "en")))
    assert "27 Esfand 1404" in page
    assert catalogue("en").gettext("boxes.minutes.withheld") in page
    assert "Number of letters 3" in page
    assert "۲۷" not in page  # what the renderer writes is in Latin digits (the data may not be)


def test_a_slip_sheet_reads_back_and_its_qr_codes_decode_to_the_tokens() -> None:
    stream = Stream("box slips test")
    randbelow = lambda n: int.from_bytes(stream(16), "big") % n  # noqa: E731 - fake digits, never real secrets
    slips = [
        documents.SlipFace(
            number, crypto.new_token(randbelow).digits, crypto.new_claim_code(randbelow).digits
        )
        for number in range(1, 13)
    ]
    calls: list[tuple[int, int]] = []
    pdf = documents.render_slips(
        slips, batch_label="7", progress=lambda done, total: calls.append((done, total))
    )
    pages = pdf_text(pdf)
    assert len(pages) == 3  # five slips a page
    assert calls[-1] == (12, 12)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    words = "\n".join(pages)
    for slip in slips:
        for persian in (False, True):
            assert (
                crypto.parse_token(crypto.token.group_digits(slip.token_digits, persian)).digits
                == slip.token_digits
            )
            assert crypto.token.group_digits(slip.token_digits, persian) in words
            assert crypto.token.group_digits(slip.claim_digits, persian) in words
    assert sorted(qr_codes(pdf)) == sorted(slip.token_digits for slip in slips)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_png(pdf, SCREENSHOTS / "fa-box-slips.png")


def test_documents_load_nothing_but_their_fonts(tmp_path: Path) -> None:
    fetcher = documents._FontsOnly()
    outside = tmp_path / "x.css"
    outside.write_text("")
    with pytest.raises(documents.DocumentFetchError):
        fetcher.fetch(outside.as_uri())
    with pytest.raises(documents.DocumentFetchError):
        fetcher.fetch("https://example.org/font.woff2")
    with pytest.raises(documents.DocumentFetchError):
        fetcher.fetch((documents.FONTS / ".." / ".." / "settings.py").resolve().as_uri())
