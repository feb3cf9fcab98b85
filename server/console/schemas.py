"""The console API's wire structs (docs/CONSOLE.md). Requests are strict (unknown fields
refused, every size bounded); bytes travel as standard base64."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from crypto import RecipientWrap, SealedMessage
from crypto.envelope import Code
from server.db.models import Outcome, ProtectionKind, Triage

Username = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}\Z")]
EnrolmentCode = Annotated[str, msgspec.Meta(min_length=20, max_length=40)]
TotpCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}\Z")]
Bytes32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
PublicKey = Annotated[bytes, msgspec.Meta(min_length=1216, max_length=1216)]
ProtectedSeed = Annotated[bytes, msgspec.Meta(min_length=48, max_length=128)]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class EnrolmentBegin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Username
    code: EnrolmentCode


class EnrolmentComplete(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Username
    code: EnrolmentCode
    auth_value: Bytes32
    public_key: PublicKey
    protected_seed: ProtectedSeed


class EnrolmentConfirm(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Username
    code: EnrolmentCode
    totp: TotpCode


class SaltRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=64)]


class SignIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(max_length=64)]
    auth_value: Bytes32
    totp: TotpCode


class BodyInfo(msgspec.Struct, frozen=True):
    code: str
    name_fa: str
    name_en: str
    body_type: str = ""  # which sections of the console apply (the boxes section, docs/BOXES.md)


class EnrolmentAccount(msgspec.Struct, frozen=True):
    """What an enrolling officer's device needs: the salt its passphrase derivation uses."""

    salt: bytes
    display_name: str
    role: str
    body: BodyInfo | None


class TotpSetup(msgspec.Struct, frozen=True):
    totp_secret: str
    otpauth_uri: str


class Enrolled(msgspec.Struct, frozen=True):
    fingerprint: str


class Salt(msgspec.Struct, frozen=True):
    salt: bytes


class OfficerInfo(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    role: str
    body: BodyInfo | None


class SignedIn(msgspec.Struct, frozen=True):
    csrf_token: str
    officer: OfficerInfo


class Grant(msgspec.Struct, frozen=True):
    body_key_id: bytes
    grant: bytes


class Me(msgspec.Struct, frozen=True):
    """The officer's keys as the device needs them after sign-in (only it can open them)."""

    officer: OfficerInfo
    salt: bytes
    public_key: bytes
    protected_seed: bytes
    grants: list[Grant]


class InboxItem(msgspec.Struct, frozen=True):
    report_id: str
    institution: str
    report_type: str
    category: str
    concerns: str
    reporter_type: str
    channel: str
    urgency: str
    received_hour: datetime
    added_hour: datetime
    via: str
    state: str
    triage: str | None
    overdue: bool
    escalated: bool
    retaliation: bool
    protection_requested: bool
    awaiting_key: bool
    acknowledge_by: datetime | None
    feedback_by: datetime | None
    assigned_to: int | None


class InboxPage(msgspec.Struct, frozen=True):
    """A page; ``total`` counts the matching cases up to 1,000 (``more`` when there are more)."""

    items: list[InboxItem]
    next_cursor: str | None
    total: int
    more: bool = False


class CaseMessage(msgspec.Struct, frozen=True):
    message: SealedMessage
    kind: str
    author: str
    body: str | None
    at_hour: datetime


class CaseRecipient(msgspec.Struct, frozen=True):
    body: str
    via: str
    reason: str
    state: str
    outcome: str | None
    awaiting_key: bool


class CaseEvent(msgspec.Struct, frozen=True):
    status: str
    at_hour: datetime
    body: str | None


class Measure(msgspec.Struct, frozen=True):
    measure: str
    at_hour: datetime
    body: str


class CloseWaiting(msgspec.Struct, frozen=True):
    outcome: str
    requested_by: int
    requested_at: datetime


class Case(msgspec.Struct, frozen=True):
    """A report as the body's officer needs it: the envelope and this body's wrap to open on
    the device, every message (sealed), the history and the case's state."""

    report_id: str
    envelope: msgspec.Raw
    wrap: RecipientWrap | None
    body: str
    state: str
    triage: str | None
    outcome: str | None
    assigned_to: int | None
    overdue: bool
    retaliation: bool
    protection_requested: bool
    watch_until: datetime | None
    received_hour: datetime
    acknowledge_by: datetime | None
    feedback_by: datetime | None
    attachments: list[str]
    messages: list[CaseMessage]
    history: list[CaseEvent]
    recipients: list[CaseRecipient]
    measures: list[Measure]
    close_waiting: CloseWaiting | None
    # The body key id this body's re-tag covers, if an officer's device made one after a
    # rotation (PROTOCOL.md §6.1): the page re-tags when the directory names another key.
    rekey_key_id: bytes | None = None


class TriageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    triage: Triage


class AssignRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    officer_id: int | None


class NoteRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    message: SealedMessage


class ReplyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A reply to the reporter; ``status`` changes the body's state with the reply as its
    reasoned decision; ``measure`` records a protection measure the reply describes."""

    message: SealedMessage
    status: Literal["under_review", "awaiting_reporter"] | None = None
    measure: ProtectionKind | None = None


class ReferralRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    to_body: Code
    wrap: RecipientWrap
    referral_tag: Bytes32 | None = None
    withdraw: bool = False
    message: SealedMessage | None = None


class RewrapRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    to_body: Code
    wrap: RecipientWrap
    referral_tag: Bytes32 | None = None


class RekeyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A re-tag for this body's current key, made on the officer's device with the report's
    thread key after a key rotation (PROTOCOL.md §6.1); the server cannot check the tag."""

    key_id: Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]
    tag: Bytes32


class CloseRequestBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    outcome: Outcome
    message: SealedMessage


class Closed(msgspec.Struct, frozen=True):
    state: str
    waiting_for_approval: bool


class NewOfficer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Username
    display_name: DisplayName
    role: Literal["officer", "body_admin"]


class OfficerCreated(msgspec.Struct, frozen=True):
    officer_id: int
    enrolment_code: str


class BodyOfficer(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    enrolled: bool
    public_key: bytes | None
    has_grant: bool
    # The body keys this officer holds grants for: after a rotation, who still lacks the new one.
    grant_key_ids: list[bytes] = []


class GrantRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    body_key_id: Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]
    grant: Annotated[bytes, msgspec.Meta(min_length=32, max_length=4096)]


class AuditItem(msgspec.Struct, frozen=True):
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: str


class AuditPage(msgspec.Struct, frozen=True):
    items: list[AuditItem]
    next_cursor: int | None
