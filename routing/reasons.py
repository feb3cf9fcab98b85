"""Reason codes: why a body receives a report. docs/ROUTING.md §5 explains each; a policy may
use only the policy reasons, and the reserved ones are set by routing itself."""

from __future__ import annotations

POLICY_REASONS: dict[str, str] = {
    "provincial_directorate": "every report in a province is seen by its Directorate-General",
    "ill_treatment_independent": "ill-treatment or torture: independent bodies at once",
    "restraints_judge": "restraints beyond Art. 116: the judge and an independent office",
    "retaliation_above_institution": "retaliation: bodies above the institution",
    "health_unit": "health: the institution's health unit and the rights office",
    "shop_inspection": "shop prices: the institution's inspection representative",
    "judicial_matters": "sentence, leave, parole, legal aid: the sentence-execution judge",
    "corruption": "corruption or bribery: P&I office and the General Inspection Organization",
    "security": "security and protection: the provincial P&I office",
    "prisoners_rights": "rights, access, visits and work: the provincial rights office",
    "institution_management": "matters the head of the institution can act on",
    "concerns_institution": "the report is about the institution's staff or management",
    "concerns_directorate": "the report is about the provincial Directorate-General",
    "concerns_organization": "the report is about the Prisons Organization itself",
    "concerns_judge": "the report is about a judge",
    "concerns_protection_intelligence": "the report is about a Protection and Intelligence office",
    "concerns_inspection": "the report is about an inspection office",
    "concerns_rights_office": "the report is about a prisoners' rights office",
    "concerns_oversight": "the report is about another oversight office",
}

RESERVED_REASONS: dict[str, str] = {
    "fallback_independent": "added because nothing else satisfied the always-hold rules",
    "reporter_choice": "the reporter chose this body",
    "referral_from": "referred by the body named after the colon",
    "escalation_from": "a deadline of the body named after the colon passed",
}
