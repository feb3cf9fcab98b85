"""The boxes' PDFs (server/boxes/documents.py): the minutes are Persian, shaped and right to
left with Persian digits and no withheld category; slip sheets carry tokens and claim codes
that read back, and QR codes a camera decodes to the stub's token."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

import crypto
from server import printing
from server.boxes import documents, weeks
from server.i18n import catalogue
from tests.pdf_support import (
    Box,
    char_boxes,
    pdf_fonts,
    pdf_png,
    pdf_text,
    plain,
    qr_codes_by_page,
    text_boxes,
)
from tests.vectors.generate import Stream

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
OPENED = datetime(2026, 3, 18, 7, 30, tzinfo=UTC)  # Wednesday 27 Esfand 1404, 11:00 in Tehran
OPENING_ID = "0f8e1c2a-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
BOX_CODE = "tehran-central-ward-4"
# Letters that join the letter after them (Unicode Joining_Type D), as written in Persian.
DUAL_JOINING = frozenset("بپتثجچحخسشصضطظعغفقکگلمنهیئ")
ZWNJ = "\u200c"
SHAPING_OFF = 'html { font-feature-settings: "init" 0, "medi" 0, "fina" 0; }'


def facts(
    place: str = "بند ۴",
    letters: list[documents.MinutesLetter] | None = None,
    seals: tuple[str, ...] = ("۴۴۱۲",),
) -> documents.MinutesFacts:
    return documents.MinutesFacts(
        opening_id=OPENING_ID,
        institution_name="زندان مرکزی تهران (نمونه)",
        province_name="تهران",
        box_code=BOX_CODE,
        box_place=place,
        opened_at=OPENED,
        week_start=weeks.week_start(OPENED),
        transcriber_name="ثبت‌کنندهٔ صندوق",
        witnesses=["رضا احمدی، مدیر بند", "مریم کریمی، مددکار"],
        seal_numbers=list(seals),
        letter_count=3 if letters is None else len(letters),
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


def fa(key: str) -> str:
    return plain(documents._text("fa", key))


# -- the minutes --------------------------------------------------------------------------
def test_the_persian_minutes_say_what_the_facts_say_in_persian_digits() -> None:
    pdf = documents.render_minutes(facts())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_png(pdf, SCREENSHOTS / "fa-box-minutes.png")
    (page,) = map(plain, pdf_text(pdf))

    assert page.startswith(fa("boxes.minutes.title"))
    for text in ("زندان مرکزی تهران", "استان تهران", "۴ بند", BOX_CODE, "رضا احمدی", "مریم کریمی"):
        assert text in page, text
    assert "ثبتکننده صندوق" in page  # the transcriber (without its ZWNJ and hamza, see plain)
    assert "۲۷ اسفند" in page  # the date, Solar Hijri, Persian digits
    assert "ساعت ۱۱:۰۰" in page  # 07:30 UTC is 11:00 in Tehran
    assert "شنبه ۲۳ اسفند ۱۴۰۴ تا جمعه ۲۹ اسفند ۱۴۰۴" in page  # the Saturday-to-Friday week
    assert f"{fa('boxes.minutes.seals')} ۴۴۱۲" in page
    assert f"{fa('boxes.minutes.letter_count')} ۳" in page
    assert "۱ شکایت بدون امضا" in page  # number, type and signature of letter 1
    assert "۲ پیشنهاد بدون امضا" in page
    assert "۳ اعتراض دارای امضا" in page
    assert plain(catalogue("fa").gettext("category.visits_contact")) in page  # letter 3's
    assert fa("boxes.minutes.sealed_note") in page
    assert fa("boxes.minutes.head") in page
    assert OPENING_ID in page


def test_the_persian_minutes_have_no_latin_digit_but_in_the_box_code_and_the_opening_id() -> None:
    """The typed facts' Latin digits print as Persian ones; the two identifiers stay as typed."""
    pdf = documents.render_minutes(facts(place="بند 4", seals=("4412", "٤٤١٣")))
    (page,) = map(plain, pdf_text(pdf))
    assert "۴ بند" in page
    assert "۴۴۱۲" in page  # typed in Latin digits
    assert "۴۴۱۳" in page  # typed in Arabic-Indic digits
    rest = page.replace(OPENING_ID, "").replace(BOX_CODE, "")
    assert not re.search(r"[0-9٠-٩]", rest), re.findall(r".{0,10}[0-9٠-٩].{0,10}", rest)
    assert {"۱", "۲", "۳", "۴"} <= set(rest)


def test_a_withheld_category_is_not_in_the_minutes() -> None:
    """Letter 1 went away from the institution: its row says so, and the only categories
    printed are the two the facts carry."""
    (page,) = map(plain, pdf_text(documents.render_minutes(facts())))
    assert page.count(fa("boxes.minutes.withheld")) == 1
    assert f"۱ شکایت بدون امضا {fa('boxes.minutes.withheld')}" in page
    texts = catalogue("fa")
    keys = texts.keys()  # a Catalogue is no mapping: it does not iterate
    types = {texts.gettext(key) for key in keys if key.startswith("report_type.")}
    shown = {  # a type's name (پیشنهاد, انتقاد) is also a category's: those say nothing
        key
        for key in keys
        if key.startswith("category.")
        and texts.gettext(key) not in types
        and plain(texts.gettext(key)) in page
    }
    assert shown == {"category.living_conditions", "category.visits_contact"}


def _title_words(pdf: bytes) -> list[list[tuple[str, Box]]]:
    """The characters of the page's first line (the title), word by word, in logical order;
    without the marks pdfium reports apart from their letters (ZWNJ, hamza above)."""
    words: list[list[tuple[str, Box]]] = [[]]
    for char, box in char_boxes(pdf):
        if char in "\r\n":
            break
        if char == " ":
            words.append([])
        elif char not in {ZWNJ, "\u0654"}:
            words[-1].append((char, box))
    return [word for word in words if word]


def _joining_gaps(pdf: bytes) -> list[float]:
    """For every letter of the title that joins the next one: the room between the two on the
    page. Shaped, the connecting stroke makes them touch (negative room); in isolated forms
    their side bearings leave a gap of more than a point."""
    return [
        box[0] - after[2]  # right to left: this letter's left edge, the next one's right edge
        for word in _title_words(pdf)
        for (char, box), (_, after) in pairwise(word)
        if char in DUAL_JOINING
    ]


def test_persian_letters_in_the_minutes_are_joined(monkeypatch: pytest.MonkeyPatch) -> None:
    gaps = _joining_gaps(documents.render_minutes(facts()))
    assert len(gaps) >= 15
    assert max(gaps) <= 0, gaps

    # The check fails on unjoined text: the same title kept apart by zero-width non-joiners,
    # and the same title with the font's joining forms switched off.
    title = documents._text("fa", "boxes.minutes.title")
    text = documents._text
    with monkeypatch.context() as apart:
        apart.setattr(
            documents,
            "_text",
            lambda lang, key: ZWNJ.join(title) if key == "boxes.minutes.title" else text(lang, key),
        )
        assert min(_joining_gaps(documents.render_minutes(facts()))) > 0.5
    with monkeypatch.context() as unshaped:
        unshaped.setattr(documents, "stylesheet", lambda: printing.stylesheet() + SHAPING_OFF)
        assert min(_joining_gaps(documents.render_minutes(facts()))) > 0.5


def _word_spans(pdf: bytes) -> list[tuple[float, float]]:
    return [(min(b[0] for _, b in word), max(b[2] for _, b in word)) for word in _title_words(pdf)]


def test_the_persian_minutes_run_right_to_left_and_the_english_left_to_right() -> None:
    """In the title, each word (in logical order) sits wholly left of the one before it; in
    English wholly right of it, which the right-to-left check refuses."""
    persian = _word_spans(documents.render_minutes(facts()))
    english = _word_spans(documents.render_minutes(facts(), "en"))

    def right_to_left(spans: list[tuple[float, float]]) -> bool:
        return all(left > next_right for (left, _), (_, next_right) in pairwise(spans))

    def left_to_right(spans: list[tuple[float, float]]) -> bool:
        return all(right < next_left for (_, right), (next_left, _) in pairwise(spans))

    assert len(persian) == 6
    assert right_to_left(persian)
    assert not left_to_right(persian)
    assert left_to_right(english)
    assert not right_to_left(english)
    first, *_, last = [box for word in _title_words(documents.render_minutes(facts())) for _, box in word]
    assert first[0] > last[2]  # the title's first letter is right of its last


def test_the_english_minutes_have_latin_digits_and_transliterated_months() -> None:
    (page,) = map(plain, pdf_text(documents.render_minutes(facts(), "en")))
    assert page.startswith(catalogue("en").gettext("boxes.minutes.title"))
    assert "27 Esfand 1404, 11:00" in page
    assert "Saturday 23 Esfand 1404 to Friday 29 Esfand 1404" in page
    assert catalogue("en").gettext("boxes.minutes.withheld") in page
    assert "Number of letters 3" in page
    assert "1 Complaint Unsigned" in page
    assert "3 Objection Signed" in page
    assert "Page 1 of 1" in page
    assert "۲۷" not in page  # what the renderer writes is in Latin digits (the data may not be)


def test_long_minutes_continue_with_the_table_head_and_the_opening_id_on_every_page() -> None:
    letters = [
        documents.MinutesLetter(n, "complaint", n % 2 == 0, None if n % 3 else "health", ["قاضی اجرای احکام"])
        for n in range(1, 41)
    ]
    pages = list(map(plain, pdf_text(documents.render_minutes(facts(letters=letters)))))
    assert len(pages) >= 2
    for page in pages:
        assert OPENING_ID in page
        assert not re.search(r"[0-9]", page.replace(OPENING_ID, "").replace(BOX_CODE, ""))
    assert all(fa("boxes.minutes.category") in page for page in pages if "شکایت" in page)
    assert fa("boxes.minutes.head") in pages[-1]
    numbers = re.findall(r"(?:^| )([۰-۹]+) شکایت", " ".join(pages))
    assert numbers == [str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) for n in range(1, 41)]


def test_the_documents_use_only_the_embedded_vazirmatn() -> None:
    slip = documents.SlipFace(1, "0" * 20, "0" * 16)
    for pdf in (
        documents.render_minutes(facts()),
        documents.render_minutes(facts(), "en"),
        documents.render_slips([slip], batch_label="1"),
    ):
        assert pdf_fonts(pdf) == {("Vazirmatn", True)}


def test_facts_are_text_not_markup_and_documents_load_nothing_but_their_fonts(tmp_path: Path) -> None:
    planted = '<img src="https://example.org/x.png">'
    (page,) = pdf_text(documents.render_minutes(facts(place=planted)))
    assert "example.org/x.png" in page  # printed as typed; nothing was fetched (that would stop it)

    fetcher = printing.FontsOnly()
    outside = tmp_path / "x.css"
    outside.write_text("")
    for url in (
        outside.as_uri(),
        "https://example.org/font.woff2",
        (printing.FONTS / ".." / ".." / "settings.py").resolve().as_uri(),
        f"file://{printing.FONTS}/../../settings.py",
    ):
        with pytest.raises(printing.DocumentFetchError):
            fetcher.fetch(url)
    font = fetcher.fetch((printing.FONTS / "Vazirmatn-Regular.woff2").as_uri())
    try:
        assert font.read(4) == b"wOF2"
    finally:
        font.close()
    with pytest.raises(FatalURLFetchingError):  # a refused resource stops the rendering
        HTML(string=f'<img src="{outside.as_uri()}">', url_fetcher=printing.FontsOnly()).write_pdf()


def test_every_text_of_the_documents_is_in_both_catalogues() -> None:
    templates = "".join(path.read_text(encoding="utf-8") for path in documents.TEMPLATES.glob("*.html"))
    keys = set(re.findall(r'\bt\("([a-z_.]+)"\)', templates)) | {"document.page", "boxes.minutes.week_range"}
    assert len(keys) > 20
    for language in ("fa", "en"):
        assert keys <= catalogue(language).keys(), keys - catalogue(language).keys()


# -- token slips --------------------------------------------------------------------------
def fake_slips(count: int, seed: str = "box slips test") -> list[documents.SlipFace]:
    """Slips with digits from a fixed stream: fake, never real secrets."""
    stream = Stream(seed)

    def randbelow(n: int) -> int:
        return int.from_bytes(stream(16), "big") % n

    return [
        documents.SlipFace(
            number, crypto.new_token(randbelow).digits, crypto.new_claim_code(randbelow).digits
        )
        for number in range(1, count + 1)
    ]


def _codes(text: str, groups: int, digits: str) -> list[str]:
    group = f"[{digits}]{{4}}"
    return re.findall(rf"(?<![{digits}-]){group}(?:-{group}){{{groups - 1}}}(?![{digits}-])", text)


def test_a_slip_sheet_reads_back_and_its_qr_codes_decode_to_the_tokens() -> None:
    slips = fake_slips(12)
    calls: list[tuple[int, int]] = []
    pdf = documents.render_slips(
        slips, batch_label="7", progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(5, 12), (10, 12), (12, 12)]  # one call a sheet, the last once it is written
    pages = pdf_text(pdf)
    assert len(pages) == 3  # five slips a page
    qr = qr_codes_by_page(pdf)
    for number, text in enumerate(pages):
        on_page = slips[number * 5 : number * 5 + 5]
        read: dict[str, list[str]] = {}
        for form, digits in (("latin", "0-9"), ("persian", "۰-۹")):
            read[f"token {form}"] = [crypto.parse_token(code).digits for code in _codes(text, 5, digits)]
            read[f"claim {form}"] = [crypto.parse_claim_code(code).digits for code in _codes(text, 4, digits)]
        tokens, claims = [s.token_digits for s in on_page], [s.claim_digits for s in on_page]
        assert read == {
            "token latin": tokens,
            "token persian": tokens,
            "claim latin": claims,
            "claim persian": claims,
        }
        assert sorted(qr[number]) == sorted(tokens)  # each stub's QR code is its own token
        last = str(on_page[-1].number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
        assert f"{fa('boxes.slips.number')} {last}" in plain(text)  # the slip's number, in Persian
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf_png(pdf, SCREENSHOTS / "fa-box-slips.png")


def test_each_stub_sits_beside_its_own_box_half() -> None:
    """Top to bottom, the nth token and the nth claim code share a row, with the stub on the
    right in Persian and on the left in English: a slip cut apart pairs the right halves."""
    slips = fake_slips(5)
    for language in ("fa", "en"):
        pdf = documents.render_slips(slips, batch_label="1", language=language)
        tokens = [text_boxes(pdf, crypto.token.group_digits(s.token_digits)) for s in slips]
        claims = [text_boxes(pdf, crypto.token.group_digits(s.claim_digits)) for s in slips]
        assert all(len(found) == 1 for found in tokens + claims)
        rows = [(token[0], claim[0]) for token, claim in zip(tokens, claims, strict=True)]
        for (token, claim), (next_token, _) in pairwise(rows):
            assert abs(token[1] - claim[1]) < 20  # the same row
            assert next_token[3] < token[1] - 100  # the next slip is a row lower
        for token, claim in rows:
            assert (token[0] > claim[2]) if language == "fa" else (token[2] < claim[0])


@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize(("token_digit", "claim_digit"), [("3", "8"), ("8", "3"), ("5", "0")])
def test_the_widest_codes_fit_their_half(language: str, token_digit: str, claim_digit: str) -> None:
    """Vazirmatn's Persian digits are proportional and ۳ is the widest: twenty of them still
    line up with their half's title, short of the cut line (10 mm of margins around it)."""
    persian = language == "fa"
    slip = documents.SlipFace(1, token_digit * 20, claim_digit * 16)
    pdf = documents.render_slips([slip], batch_label="1", language=language)
    (stub,) = text_boxes(pdf, plain(documents._text(language, "boxes.slips.stub_title"))[:8])
    (half,) = text_boxes(pdf, plain(documents._text(language, "boxes.slips.box_title"))[:8])
    (token,) = text_boxes(pdf, crypto.token.group_digits(slip.token_digits, persian))
    (claim,) = text_boxes(pdf, crypto.token.group_digits(slip.claim_digits, persian))
    if persian:  # right-aligned under the title, the stub on the right
        assert abs(token[2] - stub[2]) < 1
        assert abs(claim[2] - half[2]) < 1
        assert token[0] - claim[2] > 10 / 25.4 * 72
    else:
        assert abs(token[0] - stub[0]) < 1
        assert abs(claim[0] - half[0]) < 1
        assert claim[0] - token[2] > 10 / 25.4 * 72


def test_english_slips_print_each_code_once_in_latin_digits() -> None:
    (slip,) = fake_slips(1)
    pdf = documents.render_slips([slip], batch_label="3", language="en")
    (text,) = pdf_text(pdf)
    assert _codes(text, 5, "0-9") == [crypto.token.group_digits(slip.token_digits)]
    assert _codes(text, 4, "0-9") == [crypto.token.group_digits(slip.claim_digits)]
    assert not re.search("[۰-۹]", text)
    assert qr_codes_by_page(pdf) == [[slip.token_digits]]


def test_a_hundred_slips_render_in_reasonable_time_with_steady_progress() -> None:
    slips = fake_slips(100)
    calls: list[tuple[int, int]] = []
    started = time.perf_counter()
    pdf = documents.render_slips(slips, batch_label="12", progress=lambda *call: calls.append(call))
    elapsed = time.perf_counter() - started
    assert elapsed < 60, elapsed  # about 3.5 s on a two-core machine; this catches a blow-up
    assert calls == [(done, 100) for done in range(5, 101, 5)]
    pages = pdf_text(pdf)
    assert len(pages) == 20
    assert all(len(_codes(page, 5, "0-9")) == 5 for page in pages)


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        documents.render_slips([], batch_label="1")
