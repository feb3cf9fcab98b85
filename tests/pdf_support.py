"""Reading the PDFs Sedā makes, as a person would: text per page, pages as images, the QR
codes on them, the fonts they use, and where each character sits (pypdfium2, Pillow and
zxing-cpp; no browser)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import zxingcpp
from PIL.Image import Image

Box = tuple[float, float, float, float]  # left, bottom, right, top, in points from the bottom left


def pdf_text(pdf: bytes) -> list[str]:
    """The text of each page, in reading (logical) order."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def pdf_images(pdf: bytes, scale: float = 1.6) -> list[Image]:
    """Every page as an image (``scale`` pixels a point: 1.6 is about 115 dpi)."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=scale).to_pil() for page in document]
    finally:
        document.close()


def pdf_png(pdf: bytes, path: Path, *, page: int = 0, scale: float = 1.6) -> None:
    """One page as a PNG image."""
    pdf_images(pdf, scale)[page].save(path)


def qr_codes(pdf: bytes, scale: float = 3.0) -> list[str]:
    """The text of every QR code on every page, page by page, as a camera would read them."""
    return [code for page in qr_codes_by_page(pdf, scale) for code in page]


def qr_codes_by_page(pdf: bytes, scale: float = 3.0) -> list[list[str]]:
    """The text of the QR codes of each page."""
    return [
        [code.text for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]
        for image in pdf_images(pdf, scale)
    ]


def pdf_fonts(pdf: bytes) -> set[tuple[str, bool]]:
    """The family and embedding of the font of every piece of text in the document."""
    document = pdfium.PdfDocument(pdf)
    try:
        return {
            (font.get_family_name(), font.is_embedded)
            for page in document
            for text in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_TEXT,))
            for font in [text.get_font()]
        }
    finally:
        document.close()


def char_boxes(pdf: bytes, page: int = 0) -> list[tuple[str, Box]]:
    """Each character of a page with its box (left, bottom, right, top), in logical order."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = document[page].get_textpage()
        return [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
    finally:
        document.close()


def text_boxes(pdf: bytes, needle: str, page: int = 0) -> list[Box]:
    """The box around each place ``needle`` is written on a page (found in logical order)."""
    chars = char_boxes(pdf, page)
    text = "".join(char for char, _ in chars)
    found: list[Box] = []
    start = text.find(needle)
    while start >= 0:
        boxes = [box for _, box in chars[start : start + len(needle)]]
        found.append(
            (
                min(box[0] for box in boxes),
                min(box[1] for box in boxes),
                max(box[2] for box in boxes),
                max(box[3] for box in boxes),
            )
        )
        start = text.find(needle, start + 1)
    return found


def plain(text: str) -> str:
    """Text as compared in tests, the needle and the haystack alike: pdfium's extraction moves
    the combining hamza above (U+0654), drops zero-width non-joiners, and reads the lam-alef
    ligature back as alef-lam (``ملاقات`` comes out ``مالقات``: a search for the word as typed
    would never find it, however plainly printed); a table cell's line breaks are spaces."""
    text = text.replace("\u0654", "").replace("\u200c", "").replace("لا", "ال")
    return " ".join(text.split())
