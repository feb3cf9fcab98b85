"""The always-hold rules (docs/ROUTING.md §4), on bodies seen from one report.

The same functions judge policies when they are loaded (on abstract bodies: a type at a
level in the report's own institution and province) and decisions, referrals and escalations
when they are made (on concrete bodies, which may sit in another province).
"""

from __future__ import annotations

from typing import NamedTuple

from routing.bodies import BodyType
from routing.vocabulary import Authority, Concern, Level


class SeenBody(NamedTuple):
    """A body relative to one report: its type, its level, and whether it is in the report's
    own scope (its institution, its province, or national)."""

    type: BodyType
    level: Level
    local: bool = True


def is_independent(body: SeenBody) -> bool:
    """Independent of the institution: not one of the institution's own offices."""
    return body.level != Level.INSTITUTION or not body.local


def is_conflicted(body: SeenBody, concern: str) -> bool:  # noqa: PLR0911 (one answer per concern)
    """Is the body concerned by the report, or under a body that is? (conflict of interest)

    Location matters for offices of one place (the institution's own staff, one province's
    directorate, one province's judge); a whole chain of command is concerned wherever its
    offices sit (the Organization, its P&I offices, its inspection, its rights offices).
    """
    code = body.type.code
    prisons = body.type.authority == Authority.PRISONS_ORGANIZATION
    match concern:
        case Concern.STAFF_MEMBER | Concern.INSTITUTION_MANAGEMENT:
            return body.local and body.level == Level.INSTITUTION
        case Concern.PROVINCIAL_DIRECTORATE:
            return body.local and prisons and body.level in (Level.INSTITUTION, Level.PROVINCE)
        case Concern.PRISONS_ORGANIZATION:
            return prisons
        case Concern.JUDGE:
            return body.local and code == "sentence_execution_judge"
        case Concern.PROTECTION_INTELLIGENCE:
            return code in (
                "protection_intelligence_office",
                "institution_protection_intelligence_representative",
            )
        case Concern.INSPECTION_OFFICE:
            return code in ("organization_inspection", "institution_inspection_representative")
        case Concern.PRISONERS_RIGHTS_OFFICE:
            return code == "prisoners_rights_protection"
        case _:
            return False


def independent_unconflicted(body: SeenBody, concern: str) -> bool:
    """What every report needs at least once among its (active) recipients."""
    return is_independent(body) and not is_conflicted(body, concern)


def outside_organization(body: SeenBody) -> bool:
    """A body outside the Prisons Organization's chain of command."""
    return body.type.authority != Authority.PRISONS_ORGANIZATION
