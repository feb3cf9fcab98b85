"""The routing envelope's vocabulary: the only report facts the server may see.

Every value here is stored in plaintext beside the sealed payload, so each one is listed in
SECURITY.md's metadata inventory. Values are stable wire strings: add new members, never
rename or reuse old ones.
"""

from enum import StrEnum


class ReportType(StrEnum):
    """The four kinds of submission Article 114 and its Note name."""

    COMPLAINT = "complaint"
    OBJECTION = "objection"
    SUGGESTION = "suggestion"
    CRITICISM = "criticism"


class Channel(StrEnum):
    """How a report reached Sedā."""

    KIOSK = "kiosk"
    WEB = "web"
    BOX = "box"


class ReporterType(StrEnum):
    """Who the reporter says they are (Art. 114: open to everyone)."""

    PRISONER = "prisoner"
    FAMILY = "family"
    LAWYER = "lawyer"
    STAFF = "staff"
    CITIZEN = "citizen"
    UNKNOWN = "unknown"


class Urgency(StrEnum):
    """Urgent reports (for example restraints beyond Art. 116) get shorter deadlines."""

    NORMAL = "normal"
    URGENT = "urgent"


class Level(StrEnum):
    """Where a body or a decision sits in the hierarchy."""

    INSTITUTION = "institution"
    PROVINCE = "province"
    NATIONAL = "national"


class InstitutionKind(StrEnum):
    """Kinds of institution the regulation distinguishes (old regulation, Arts. 1-19)."""

    CLOSED_PRISON = "closed_prison"
    SEMI_OPEN_PRISON = "semi_open_prison"
    OPEN_PRISON = "open_prison"
    CAMP = "camp"
    JUVENILE_CENTRE = "juvenile_centre"
    DETENTION_CENTRE = "detention_centre"


class ReportStatus(StrEnum):
    """A report's place in its life cycle, as the reporter sees it."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    UNDER_REVIEW = "under_review"
    AWAITING_REPORTER = "awaiting_reporter"
    CLOSED = "closed"


class RecipientVia(StrEnum):
    """Why a body holds a key to a report."""

    POLICY = "policy"
    REPORTER_CHOICE = "reporter_choice"
    REFERRAL = "referral"


class Concern(StrEnum):
    """Whom or what the report is about; decides conflicts of interest (docs/ROUTING.md §4)."""

    STAFF_MEMBER = "staff_member"
    INSTITUTION_MANAGEMENT = "institution_management"
    PROVINCIAL_DIRECTORATE = "provincial_directorate"
    PRISONS_ORGANIZATION = "prisons_organization"
    JUDGE = "judge"
    PROTECTION_INTELLIGENCE = "protection_intelligence"
    INSPECTION_OFFICE = "inspection_office"
    PRISONERS_RIGHTS_OFFICE = "prisoners_rights_office"
    OVERSIGHT_OFFICE = "oversight_office"
    OTHER_PRISONER = "other_prisoner"
    CONDITIONS = "conditions"
    NONE = "none"


class Authority(StrEnum):
    """Which chain of command a body type belongs to."""

    PRISONS_ORGANIZATION = "prisons_organization"
    JUDICIARY = "judiciary"
    STATE_INSPECTION = "state_inspection"
