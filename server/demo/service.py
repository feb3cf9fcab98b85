"""Seeding the demo data; idempotent, so ``seda demo`` can run on every start."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from routing.bodies import BODY_TYPES, BodyType
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
        for body_type in BODY_TYPES:
            if Level.NATIONAL in body_type.levels:
                session.add(_national_body(body_type))
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
        for body_type in BODY_TYPES:
            if Level.INSTITUTION in body_type.levels:
                session.add(
                    Body(
                        code=f"{body_type.code}--{institution.code}",
                        body_type=body_type.code,
                        level=Level.INSTITUTION,
                        province_id=province.id,
                        institution_id=institution.id,
                        name_fa=f"{body_type.name_fa} — {institution.name_fa}",
                        name_en=f"{body_type.name_en}, {institution.name_en}",
                        active=True,
                    )
                )
    for body_type in BODY_TYPES:
        if Level.PROVINCE in body_type.levels:
            session.add(
                Body(
                    code=f"{body_type.code}--{row.code}",
                    body_type=body_type.code,
                    level=Level.PROVINCE,
                    province_id=province.id,
                    name_fa=f"{body_type.name_fa} {row.name_fa}",
                    name_en=f"{body_type.name_en}, {row.name_en}",
                    active=True,
                )
            )


def _national_body(body_type: BodyType) -> Body:
    return Body(
        code=f"{body_type.code}--national",
        body_type=body_type.code,
        level=Level.NATIONAL,
        name_fa=body_type.name_fa,
        name_en=body_type.name_en,
        active=True,
    )


async def _count(session: AsyncSession, model: type[Province | Institution | Body]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)
