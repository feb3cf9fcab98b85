"""A routing directory shaped like the demo data: every body type in every province."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from routing.bodies import BODY_TYPES
from routing.decide import BodyRef, Directory, InstitutionRef, ReportFacts
from routing.policy import Policy, parse_policy
from routing.vocabulary import Concern, Level, ReportType, Urgency
from server.demo.provinces import PROVINCES
from server.demo.service import DEMO_INSTITUTIONS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY_BYTES = (ROOT / "routing" / "policies" / "default.toml").read_bytes()
RECEIVED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def default_policy() -> Policy:
    return parse_policy(DEFAULT_POLICY_BYTES)


def demo_directory(provinces: int = len(PROVINCES)) -> Directory:
    institutions = [
        InstitutionRef(f"{row.code}-{template.suffix}", row.code)
        for row in PROVINCES[:provinces]
        for template in DEMO_INSTITUTIONS
    ]
    bodies = [
        BodyRef(
            code=f"{kind.code}--{institution.code}",
            body_type=kind.code,
            level=Level.INSTITUTION,
            province=institution.province,
            institution=institution.code,
        )
        for institution in institutions
        for kind in BODY_TYPES
        if Level.INSTITUTION in kind.levels
    ]
    bodies += [
        BodyRef(code=f"{kind.code}--{row.code}", body_type=kind.code, level=Level.PROVINCE, province=row.code)
        for row in PROVINCES[:provinces]
        for kind in BODY_TYPES
        if Level.PROVINCE in kind.levels
    ]
    bodies += [
        BodyRef(code=f"{kind.code}--national", body_type=kind.code, level=Level.NATIONAL)
        for kind in BODY_TYPES
        if Level.NATIONAL in kind.levels
    ]
    return Directory(bodies=bodies, institutions=institutions)


def facts(
    category: str = "health",
    concerns: Concern = Concern.STAFF_MEMBER,
    report_type: ReportType = ReportType.COMPLAINT,
    urgency: Urgency = Urgency.NORMAL,
    institution: str = "tehran-central",
) -> ReportFacts:
    return ReportFacts(
        institution=institution,
        report_type=report_type,
        category=category,
        concerns=concerns,
        urgency=urgency,
        received_at=RECEIVED,
    )
