"""Report categories drawn from the regulation (docs/ROUTING.md §2).

``urgent`` categories get the urgent deadlines whatever the reporter chose (restraints beyond
Art. 116 must reach the judge within hours; ill-treatment and retaliation cannot wait).
"""

from __future__ import annotations

import msgspec


class Category(msgspec.Struct, frozen=True, kw_only=True):
    """One category a report can be filed under."""

    code: str
    name_fa: str
    name_en: str
    articles: str
    urgent: bool = False
    # Must reach a body outside the Prisons Organization (the judiciary or state inspection).
    outside_organization: bool = False


CATEGORIES: tuple[Category, ...] = (
    Category(
        code="ill_treatment",
        name_fa="بدرفتاری یا شکنجه از سوی کارکنان",
        name_en="Ill-treatment or torture by staff",
        articles="108",
        urgent=True,
        outside_organization=True,
    ),
    Category(
        code="restraints",
        name_fa="استفاده از دستبند و پابند خارج از مقررات",
        name_en="Restraints beyond the rules",
        articles="116",
        urgent=True,
        outside_organization=True,
    ),
    Category(
        code="health", name_fa="بهداشت و درمان", name_en="Health and medical care", articles="Note to 129"
    ),
    Category(
        code="living_conditions",
        name_fa="غذا، بهداشت محیط و شرایط نگهداری",
        name_en="Food, hygiene and living conditions",
        articles="114",
    ),
    Category(code="shop_prices", name_fa="قیمت فروشگاه", name_en="Shop prices", articles="Note to 129"),
    Category(
        code="judicial",
        name_fa="امور قضایی (حکم، مرخصی، آزادی مشروط، معاضدت)",
        name_en="Judicial matters (sentence, leave, parole, legal aid)",
        articles="114",
    ),
    Category(code="corruption", name_fa="فساد یا رشوه", name_en="Corruption or bribery", articles="114"),
    Category(code="security", name_fa="امنیت و حفاظت", name_en="Security and protection", articles="114"),
    Category(
        code="visits_contact",
        name_fa="ملاقات و ارتباط با خانواده",
        name_en="Visits and family contact",
        articles="109",
    ),
    Category(code="work_wages", name_fa="کار و دستمزد", name_en="Work and wages", articles="114"),
    Category(
        code="discrimination_access",
        name_fa="تبعیض، معلولیت و مترجم",
        name_en="Discrimination, disability and interpreters",
        articles="110-111",
    ),
    Category(
        code="retaliation",
        name_fa="تلافی به سبب گزارش پیشین",
        name_en="Retaliation for an earlier report",
        articles="114",
        urgent=True,
        outside_organization=True,
    ),
    Category(code="suggestion", name_fa="پیشنهاد", name_en="Suggestion", articles="Note to 114"),
    Category(code="criticism", name_fa="انتقاد", name_en="Criticism", articles="Note to 114"),
    Category(code="other", name_fa="سایر", name_en="Other", articles="114"),
)

CATEGORY_CODES: frozenset[str] = frozenset(category.code for category in CATEGORIES)


def category(code: str) -> Category:
    """The category with this code; ``KeyError`` if there is none."""
    for candidate in CATEGORIES:
        if candidate.code == code:
            return candidate
    raise KeyError(code)
