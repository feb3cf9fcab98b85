"""The oversight bodies Article 114 names, as data.

A body *type* is a kind of office (for example "the provincial Directorate-General of
Prisons"); a body is one office of that type with its own jurisdiction and key. Item 9 of
Article 114 ("other relevant oversight authorities") is why this is a table and not code:
a new type is a new row. ``escalates_to`` is the type a case goes up to when a deadline
passes (docs/ROUTING.md §6); ``authority`` is the chain of command it belongs to.
"""

from __future__ import annotations

import msgspec

from routing.vocabulary import Authority, Level


class BodyType(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of office.

    ``levels`` lists where offices of this type exist; ``article_item`` is the number of the
    item in Article 114's list (0 for types the regulation names elsewhere, e.g. the Note to
    Article 129).
    """

    code: str
    name_fa: str
    name_en: str
    levels: tuple[Level, ...]
    authority: Authority
    article_item: int
    escalates_to: str | None = None


_PO = Authority.PRISONS_ORGANIZATION
_JU = Authority.JUDICIARY

BODY_TYPES: tuple[BodyType, ...] = (
    BodyType(
        code="sentence_execution_judge",
        name_fa="قاضی اجرای احکام",
        name_en="Sentence-execution judge",
        levels=(Level.PROVINCE,),
        authority=_JU,
        article_item=1,
        escalates_to="special_inspection_citizens_rights",
    ),
    BodyType(
        code="provincial_dg_prisons",
        name_fa="اداره کل زندان‌های استان",
        name_en="Provincial Directorate-General of Prisons",
        levels=(Level.PROVINCE,),
        authority=_PO,
        article_item=2,
        escalates_to="organization_inspection",
    ),
    BodyType(
        code="protection_intelligence_office",
        name_fa="دفتر حفاظت و اطلاعات",
        name_en="Protection and Intelligence office",
        levels=(Level.PROVINCE,),
        authority=_PO,
        article_item=3,
        escalates_to="judiciary_protection_intelligence",
    ),
    BodyType(
        code="prisoners_rights_protection",
        name_fa="صیانت از حقوق زندانیان",
        name_en="Protection of Prisoners' Rights",
        levels=(Level.PROVINCE, Level.NATIONAL),
        # Listed with the Organization's own units (items 1-5): treated as inside its chain,
        # the stricter choice for conflicts of interest.
        authority=_PO,
        article_item=4,
        escalates_to="general_inspection_organization",
    ),
    BodyType(
        code="organization_inspection",
        name_fa="بازرسی و پاسخگویی به شکایات سازمان",
        name_en="Organization's Inspection and Complaints-Response unit",
        levels=(Level.NATIONAL,),
        authority=_PO,
        article_item=5,
        escalates_to="general_inspection_organization",
    ),
    BodyType(
        code="judiciary_protection_intelligence",
        name_fa="مرکز حفاظت و اطلاعات قوه قضاییه",
        name_en="Judiciary's Center for Protection and Intelligence",
        levels=(Level.NATIONAL,),
        authority=_JU,
        article_item=6,
        escalates_to="general_inspection_organization",
    ),
    BodyType(
        code="special_inspection_citizens_rights",
        name_fa="دفتر بازرسی ویژه و حمایت از حقوق شهروندی",
        name_en="Special Inspection and Citizens'-Rights Protection Office",
        levels=(Level.NATIONAL,),
        authority=_JU,
        article_item=7,
        escalates_to="general_inspection_organization",
    ),
    BodyType(
        code="general_inspection_organization",
        name_fa="سازمان بازرسی کل کشور",
        name_en="General Inspection Organization of the country",
        levels=(Level.NATIONAL,),
        authority=Authority.STATE_INSPECTION,
        article_item=8,
    ),
    BodyType(
        code="institution_management",
        name_fa="ریاست زندان",
        name_en="Head of the institution",
        levels=(Level.INSTITUTION,),
        authority=_PO,
        article_item=0,
        escalates_to="provincial_dg_prisons",
    ),
    BodyType(
        code="institution_health_unit",
        name_fa="واحد بهداشت و درمان زندان",
        name_en="Institution's health unit",
        levels=(Level.INSTITUTION,),
        authority=_PO,
        article_item=0,
        escalates_to="provincial_dg_prisons",
    ),
    BodyType(
        code="institution_protection_intelligence_representative",
        name_fa="نماینده حفاظت و اطلاعات زندان",
        name_en="Protection and Intelligence representative at the institution",
        levels=(Level.INSTITUTION,),
        authority=_PO,
        article_item=0,
        escalates_to="protection_intelligence_office",
    ),
    BodyType(
        code="institution_inspection_representative",
        name_fa="نماینده بازرسی در زندان",
        name_en="Inspection representative at the institution",
        levels=(Level.INSTITUTION,),
        authority=_PO,
        article_item=0,
        escalates_to="provincial_dg_prisons",
    ),
)

_BY_CODE = {body.code: body for body in BODY_TYPES}


def body_type(code: str) -> BodyType:
    """Return the body type with this code.

    Raises ``UnknownBodyError`` (a ``KeyError``) when no type has that code.
    """
    try:
        return _BY_CODE[code]
    except KeyError:
        raise UnknownBodyTypeError(code) from None


class UnknownBodyTypeError(KeyError):
    """A body type code that this version of routing does not know."""
