"""Every user-facing string exists in Persian and English; Persian is the default."""

from __future__ import annotations

import pytest

from server.errors import PROBLEMS
from server.i18n import DEFAULT_LANGUAGE, catalogue, negotiate, supported_languages


def test_persian_is_the_default_and_english_is_supported() -> None:
    assert DEFAULT_LANGUAGE == "fa"
    assert supported_languages()[0] == "fa"
    assert "en" in supported_languages()


@pytest.mark.parametrize("language", ["fa", "en"])
def test_every_problem_text_is_translated(language: str) -> None:
    texts = catalogue(language)
    keys = {key for problem in PROBLEMS.values() for key in (problem.title_key, problem.detail_key)}
    missing = {key for key in keys if key not in texts}
    assert not missing


def test_persian_texts_are_in_persian_script() -> None:
    texts = catalogue("fa")
    for problem in PROBLEMS.values():
        title = texts.gettext(problem.title_key)
        assert any("\u0600" <= ch <= "\u06ff" for ch in title), title


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "fa"),
        ("", "fa"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,de;q=0.9", "fa"),
        ("fa;q=0.5,en;q=0.9", "en"),
        ("en;q=0", "fa"),
        ("en;q=banana,fa", "fa"),
        (",,,;;;", "fa"),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_every_language_translates_every_message_of_every_other() -> None:
    languages = supported_languages()
    keys = {language: set(catalogue(language).keys()) for language in languages}
    assert all(keys[language] == keys["fa"] for language in languages)
    assert "problem.invalid_request.field" in keys["fa"]
