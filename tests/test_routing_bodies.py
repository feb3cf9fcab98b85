"""The Article 114 bodies and the category taxonomy are data, with what the regulation names."""

from __future__ import annotations

import pytest

from routing.bodies import BODY_TYPES, body_type
from routing.taxonomy import CATEGORIES, category


def test_body_type_codes_are_unique() -> None:
    codes = [t.code for t in BODY_TYPES]
    assert len(codes) == len(set(codes))


def test_items_one_to_eight_of_article_114_are_all_present() -> None:
    assert sorted(t.article_item for t in BODY_TYPES if t.article_item) == list(range(1, 9))


def test_every_body_type_is_named_in_both_languages_and_has_a_level() -> None:
    for t in BODY_TYPES:
        assert t.name_fa
        assert t.name_en
        assert t.levels


def test_escalation_chains_end_at_the_top_without_cycles() -> None:
    for start in BODY_TYPES:
        seen = {start.code}
        current = start
        while current.escalates_to is not None:
            current = body_type(current.escalates_to)
            assert current.code not in seen
            seen.add(current.code)
        assert current.code == "general_inspection_organization"


def test_the_taxonomy_holds_the_categories_the_regulation_names() -> None:
    codes = {c.code for c in CATEGORIES}
    assert {"ill_treatment", "restraints", "health", "shop_prices", "retaliation", "judicial"} <= codes
    assert category("restraints").urgent
    assert category("ill_treatment").urgent
    assert not category("suggestion").urgent
    assert all(c.name_fa and c.name_en for c in CATEGORIES)


def test_lookup_by_code() -> None:
    assert body_type("general_inspection_organization").article_item == 8
    with pytest.raises(KeyError):
        body_type("no_such_body")
    with pytest.raises(KeyError):
        category("no_such_category")
