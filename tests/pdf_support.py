"""Reading the PDFs Sedā makes, as a person would: text per page, pages as images, the QR
codes on them, and where each character sits (pypdfium2 and zxing-cpp; no browser)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp


def pdf_text(pdf: bytes) -> list[str]:
    """The text of each page, in reading (logical) order."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def pdf_png(pdf: bytes, path: Path, *, page: int = 0, scale: float = 1.6) -> None:
    """One page as a PNG image."""
    document = pdfium.PdfDocument(pdf)
    try:
        document[page].render(scale=scale).to_pil().save(path)
    finally:
        document.close()


def qr_codes(pdf: bytes, scale: float = 3.0) -> list[str]:
    """The text of every QR code on every page, page by page, as a camera would read them."""
    document = pdfium.PdfDocument(pdf)
    found: list[str] = []
    try:
        for page in document:
            image = page.render(scale=scale).to_pil()
            found += [
                code.text
                for code in zxingcpp.read_barcodes(image)
                if code.format == zxingcpp.BarcodeFormat.QRCode
            ]
    finally:
        document.close()
    return found


def char_boxes(pdf: bytes, page: int = 0) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each character of a page with its box (left, bottom, right, top), in logical order."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = document[page].get_textpage()
        return [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
    finally:
        document.close()


def plain(text: str) -> str:
    """Text as compared in tests: pdfium's extraction moves the combining hamza above (U+0654)
    and drops zero-width non-joiners, which are marks of shaping, not of content; a table
    cell's line breaks are spaces."""
    return " ".join(text.replace("\u0654", "").replace("\u200c", "").split())
