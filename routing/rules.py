"""The always-hold rules (docs/ROUTING.md §4), on abstract bodies (a type at a level, in the
report's own institution and province) — the same functions judge policies when they are
loaded and decisions when they are made.
"""

from __future__ import annotations

from typing import NamedTuple

from routing.bodies import BodyType
from routing.vocabulary import Authority, Concern, Level


class AbstractBody(NamedTuple):
    """A body seen relative to one report: its type, and its level in the report's own scope."""

    type: BodyType
    level: Level


def is_independent(body: AbstractBody) -> bool:
    """Independent of the institution: not one of the institution's own offices."""
    return body.level != Level.INSTITUTION


def is_conflicted(body: AbstractBody, concern: str) -> bool:
    """Is the body concerned by the report, or under one that is? (conflict of interest)

    Bodies are always those of the report's own institution and province (see ``decide``):
    a provincial office of another province is never a recipient by policy.
    """
    prisons = body.type.authority == Authority.PRISONS_ORGANIZATION
    match concern:
        case Concern.STAFF_MEMBER | Concern.INSTITUTION_MANAGEMENT:
            return body.level == Level.INSTITUTION
        case Concern.PROVINCIAL_DIRECTORATE:
            return prisons and body.level in (Level.INSTITUTION, Level.PROVINCE)
        case Concern.PRISONS_ORGANIZATION:
            return prisons
        case Concern.JUDGE:
            return body.type.code == "sentence_execution_judge"
        case _:
            return False


def independent_unconflicted(body: AbstractBody, concern: str) -> bool:
    """The rule every report must meet at least once among its recipients."""
    return is_independent(body) and not is_conflicted(body, concern)
