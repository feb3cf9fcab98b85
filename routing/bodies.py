"""The oversight bodies Article 114 names, as data.

A body *type* is a kind of office (for example "the provincial Directorate-General of
Prisons"); a body is one office of that type with its own jurisdiction and key. Item 9 of
Article 114 ("other relevant oversight authorities") is why this is a table and not code:
a new type is a new row.
"""

from __future__ import annotations

import msgspec

from routing.vocabulary import Level


class BodyType(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of oversight office.

    ``levels`` lists where offices of this type exist; ``article_item`` is the number of the
    item in Article 114's list (0 for types the regulation does not name).
    """

    code: str
    name_fa: str
    name_en: str
    levels: tuple[Level, ...]
    article_item: int


BODY_TYPES: tuple[BodyType, ...] = (
    BodyType(
        code="sentence_execution_judge",
        name_fa="قاضی اجرای احکام",
        name_en="Sentence-execution judge",
        levels=(Level.PROVINCE,),
        article_item=1,
    ),
    BodyType(
        code="provincial_dg_prisons",
        name_fa="اداره کل زندان‌های استان",
        name_en="Provincial Directorate-General of Prisons",
        levels=(Level.PROVINCE,),
        article_item=2,
    ),
    BodyType(
        code="protection_intelligence_office",
        name_fa="دفتر حفاظت و اطلاعات",
        name_en="Protection and Intelligence office",
        levels=(Level.PROVINCE,),
        article_item=3,
    ),
    BodyType(
        code="prisoners_rights_protection",
        name_fa="صیانت از حقوق زندانیان",
        name_en="Protection of Prisoners' Rights",
        levels=(Level.PROVINCE, Level.NATIONAL),
        article_item=4,
    ),
    BodyType(
        code="organization_inspection",
        name_fa="بازرسی و پاسخگویی به شکایات سازمان",
        name_en="Organization's Inspection and Complaints-Response unit",
        levels=(Level.NATIONAL,),
        article_item=5,
    ),
    BodyType(
        code="judiciary_protection_intelligence",
        name_fa="مرکز حفاظت و اطلاعات قوه قضاییه",
        name_en="Judiciary's Center for Protection and Intelligence",
        levels=(Level.NATIONAL,),
        article_item=6,
    ),
    BodyType(
        code="special_inspection_citizens_rights",
        name_fa="دفتر بازرسی ویژه و حمایت از حقوق شهروندی",
        name_en="Special Inspection and Citizens'-Rights Protection Office",
        levels=(Level.NATIONAL,),
        article_item=7,
    ),
    BodyType(
        code="general_inspection_organization",
        name_fa="سازمان بازرسی کل کشور",
        name_en="General Inspection Organization of the country",
        levels=(Level.NATIONAL,),
        article_item=8,
    ),
)


def body_type(code: str) -> BodyType:
    """Return the body type with this code.

    Raises ``KeyError`` when no type has that code.
    """
    for candidate in BODY_TYPES:
        if candidate.code == code:
            return candidate
    raise KeyError(code)
