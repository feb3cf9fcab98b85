"""Who may read which summaries (docs/SUMMARIES.md "Who reads what").

Any officer, body administrator or summary reader of a body reads the *suppressed* view of
the units in the body's reach: an institution-level body its institution, a provincial body
its province and the province's institutions, a national body every unit. The *full* view,
small cells included, is for the Prisons Organization's own readers above the institutions
(the provincial directorates-general and the Organization's national offices): an
institution's own staff, its head included, are those a small cell could point to a
reporter for, so they never get it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from routing.bodies import body_type
from routing.vocabulary import Authority, Level
from server.console.accounts import ForbiddenError
from server.db.models import Body, Institution, Officer, OfficerRole, Province
from server.summaries.build import NATION
from server.summaries.model import ScopeLevel, View

READER_ROLES = frozenset({OfficerRole.OFFICER, OfficerRole.BODY_ADMIN, OfficerRole.SUMMARY_READER})


@dataclass(frozen=True, slots=True)
class Reach:
    """The units an account may read, by (level, code), and whether the full view too."""

    units: frozenset[tuple[ScopeLevel, str]] | None  # None: every unit
    full: bool

    def covers(self, level: ScopeLevel, code: str, view: View) -> bool:
        if view == View.FULL and not self.full:
            return False
        return self.units is None or (level, code) in self.units


async def reach_of(session: AsyncSession, officer: Officer) -> Reach:
    """``ForbiddenError`` for an account that reads no summaries (operators, transcribers)."""
    body = None if officer.body_id is None else await session.get(Body, officer.body_id)
    if body is None or not body.active or officer.role not in READER_ROLES:
        raise ForbiddenError
    full = (
        body.level != Level.INSTITUTION
        and body_type(body.body_type).authority == Authority.PRISONS_ORGANIZATION
    )
    if body.level == Level.NATIONAL:
        return Reach(None, full)
    if body.level == Level.INSTITUTION and body.institution_id is not None:
        code = await session.scalar(select(Institution.code).where(Institution.id == body.institution_id))
        return Reach(frozenset({(ScopeLevel.INSTITUTION, str(code))}), full=False)
    province = await session.get_one(Province, body.province_id)
    codes = await session.scalars(select(Institution.code).where(Institution.province_id == province.id))
    units = {(ScopeLevel.PROVINCE, province.code), *((ScopeLevel.INSTITUTION, c) for c in codes)}
    return Reach(frozenset(units), full)


__all__ = ["NATION", "Reach", "reach_of"]
