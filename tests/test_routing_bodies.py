"""The Article 114 bodies are data, with the items the article names."""

from __future__ import annotations

import pytest

from routing.bodies import BODY_TYPES, body_type


def test_body_type_codes_are_unique() -> None:
    codes = [t.code for t in BODY_TYPES]
    assert len(codes) == len(set(codes))


def test_items_one_to_eight_of_article_114_are_all_present() -> None:
    assert sorted(t.article_item for t in BODY_TYPES) == list(range(1, 9))


def test_every_body_type_is_named_in_both_languages_and_has_a_level() -> None:
    for t in BODY_TYPES:
        assert t.name_fa
        assert t.name_en
        assert t.levels


def test_lookup_by_code() -> None:
    assert body_type("general_inspection_organization").article_item == 8
    with pytest.raises(KeyError):
        body_type("no_such_body")
