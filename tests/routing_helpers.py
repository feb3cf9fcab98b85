"""A routing directory shaped like the demo data: every body type in every province."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from routing.bodies import BODY_TYPES
from routing.decide import BodyRef, Directory, InstitutionRef, Recipient, ReportFacts
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


# An oracle written apart from routing/rules.py, from docs/ROUTING.md §4's words, so that a
# bug in the engine's own check cannot hide itself.
_PRISONS_TYPES = {
    "provincial_dg_prisons",
    "protection_intelligence_office",
    "prisoners_rights_protection",
    "organization_inspection",
    "institution_management",
    "institution_health_unit",
    "institution_protection_intelligence_representative",
    "institution_inspection_representative",
}
_OUTSIDE_CATEGORIES = {"ill_treatment", "restraints", "retaliation"}


def _oracle_concerned(body: BodyRef, report: ReportFacts, province: str) -> bool:  # noqa: PLR0911
    concern = report.concerns
    own_institution = body.level == Level.INSTITUTION and body.institution == report.institution
    own_province = body.province == province and body.level in (Level.INSTITUTION, Level.PROVINCE)
    if concern in ("staff_member", "institution_management"):
        return own_institution
    if concern == "provincial_directorate":
        return own_province and body.body_type in _PRISONS_TYPES
    if concern == "prisons_organization":
        return body.body_type in _PRISONS_TYPES
    if concern == "judge":
        return body.body_type == "sentence_execution_judge" and body.province == province
    if concern == "protection_intelligence":
        return "protection_intelligence" in body.body_type and not body.body_type.startswith("judiciary")
    if concern == "inspection_office":
        return body.body_type in ("organization_inspection", "institution_inspection_representative")
    if concern == "prisoners_rights_office":
        return body.body_type == "prisoners_rights_protection"
    return False


def oracle_holds(recipients: list[Recipient], report: ReportFacts, directory: Directory) -> bool:
    province = directory.institution(report.institution).province
    active = [directory.body(r.body) for r in recipients if directory.body(r.body).active]
    fine = [
        b
        for b in active
        if not (b.level == Level.INSTITUTION and b.institution == report.institution)
        and not _oracle_concerned(b, report, province)
    ]
    if not fine:
        return False
    if report.category in _OUTSIDE_CATEGORIES or report.retaliation:
        return any(b.body_type not in _PRISONS_TYPES for b in fine)
    return True
