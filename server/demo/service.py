"""Seeding the demo data; idempotent, so ``seda demo`` can run on every start."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from routing.bodies import BODY_TYPES
from routing.vocabulary import InstitutionKind, Level
from server.audit import append_audit
from server.db.models import Body, Institution, Province
from server.demo.provinces import PROVINCES, ProvinceRow


class DemoInstitution(msgspec.Struct, frozen=True):
    suffix: str
    kind: InstitutionKind
    name_fa: str  # "{}" is the province's name
    name_en: str


# Invented for the demo: real institution lists come from the Organization.
DEMO_INSTITUTIONS: tuple[DemoInstitution, ...] = (
    DemoInstitution(
        "central", InstitutionKind.CLOSED_PRISON, "زندان مرکزی {} (نمونه)", "{} Central Prison (demo)"
    ),
    DemoInstitution(
        "camp",
        InstitutionKind.CAMP,
        "اردوگاه حرفه‌آموزی و کاردرمانی {} (نمونه)",
        "{} Vocational Training Camp (demo)",
    ),
    DemoInstitution(
        "juvenile",
        InstitutionKind.JUVENILE_CENTRE,
        "کانون اصلاح و تربیت {} (نمونه)",
        "{} Juvenile Correction Centre (demo)",
    ),
)


class DemoSummary(msgspec.Struct, frozen=True):
    """What the demo data set holds after seeding (counts, whether anything was added)."""

    provinces: int
    institutions: int
    bodies: int
    created: bool


async def seed_demo(
    session: AsyncSession, now: datetime, on_province: Callable[[str], None] | None = None
) -> DemoSummary:
    """Create the demo data unless it is there already; commits once, at the end."""
    existing = await session.scalar(select(func.count()).select_from(Province))
    created = not existing
    if created:
        for position, row in enumerate(PROVINCES, start=1):
            await _seed_province(session, position, row)
            if on_province is not None:
                on_province(row.name_en)
        session.add_all(_offices(Level.NATIONAL, "national", ("", "")))
        await session.flush()
        await append_audit(
            session,
            at=now.astimezone(UTC),
            actor="operator",
            action="demo.seeded",
            subject="demo",
            details={"provinces": len(PROVINCES)},
        )
        await session.commit()
    return DemoSummary(
        provinces=await _count(session, Province),
        institutions=await _count(session, Institution),
        bodies=await _count(session, Body),
        created=created,
    )


async def _seed_province(session: AsyncSession, position: int, row: ProvinceRow) -> None:
    province = Province(code=row.code, position=position, name_fa=row.name_fa, name_en=row.name_en)
    session.add(province)
    await session.flush()
    for template in DEMO_INSTITUTIONS:
        institution = Institution(
            code=f"{row.code}-{template.suffix}",
            province_id=province.id,
            kind=template.kind,
            name_fa=template.name_fa.format(row.name_fa),
            name_en=template.name_en.format(row.name_en),
            active=True,
        )
        session.add(institution)
        await session.flush()
        session.add_all(
            _offices(
                Level.INSTITUTION,
                institution.code,
                (institution.name_fa, institution.name_en),
                province_id=province.id,
                institution_id=institution.id,
            )
        )
    session.add_all(_offices(Level.PROVINCE, row.code, (row.name_fa, row.name_en), province_id=province.id))


def _offices(
    level: Level,
    place_code: str,
    place_names: tuple[str, str],
    province_id: int | None = None,
    institution_id: int | None = None,
) -> list[Body]:
    """One body of every type that exists at ``level``, for one place (or the nation)."""
    place_fa, place_en = place_names
    return [
        Body(
            code=f"{kind.code}--{place_code}",
            body_type=kind.code,
            level=level,
            province_id=province_id,
            institution_id=institution_id,
            name_fa=f"{kind.name_fa} {place_fa}".strip(),
            name_en=f"{kind.name_en}, {place_en}" if place_en else kind.name_en,
            active=True,
        )
        for kind in BODY_TYPES
        if level in kind.levels
    ]


async def _count(session: AsyncSession, model: type[Province | Institution | Body]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)
