"""The tables of Sedā's core domain.

What the server stores about a report is only its routing envelope (SECURITY.md, metadata
inventory) and ciphertext. No column holds report text, an identity, a token, an address or
a user agent; ``tests/test_metadata_inventory.py`` checks every column against the
inventory, so a new column cannot slip in undocumented.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from routing.vocabulary import (
    Channel,
    InstitutionKind,
    Level,
    RecipientVia,
    ReporterType,
    ReportStatus,
    ReportType,
    Urgency,
)
from server.db.base import Base
from server.db.types import (
    UTCDateTime,
    hour_precision_checks,
    random_uuid_checks,
    require_hour_precision,
    require_random_uuid,
    vocabulary,
)


class Triage(StrEnum):
    """The Note to Art. 114: a report is acted upon, or not (unsigned and unrelated), unless it
    points to an important matter with indications that it is true."""

    ACTED_UPON = "acted_upon"
    NOT_ACTED_UPON = "not_acted_upon"
    IMPORTANT_WITH_INDICATIONS = "important_with_indications"


class Outcome(StrEnum):
    """How a body closes a case."""

    SUBSTANTIATED = "substantiated"
    PARTLY_SUBSTANTIATED = "partly_substantiated"
    NOT_SUBSTANTIATED = "not_substantiated"
    NOT_ACTED_UPON = "not_acted_upon"
    RESOLVED_BY_MEDIATION = "resolved_by_mediation"
    REFERRED = "referred"


class ProtectionKind(StrEnum):
    """Kinds of protection a body can give a reporter (material, moral and judicial support)."""

    SEPARATION = "separation"  # kept apart from the staff or prisoners concerned
    TRANSFER = "transfer"
    LEGAL_SUPPORT = "legal_support"
    JUDGE_INFORMED = "judge_informed"
    MEDICAL_CARE = "medical_care"
    MONITORING = "monitoring"
    OTHER = "other"


class OfficerRole(StrEnum):
    """What an account may do; an operator has no access to report content at all."""

    OFFICER = "officer"
    BODY_ADMIN = "body_admin"
    BOX_TRANSCRIBER = "box_transcriber"
    SUMMARY_READER = "summary_reader"
    OPERATOR = "operator"


class Province(Base):
    """One of the 31 provinces; ``position`` is its row in the reference table."""

    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    name_fa: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))


class Institution(Base):
    """A prison, camp or centre; reports are filed about one."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    kind: Mapped[InstitutionKind] = mapped_column(vocabulary(InstitutionKind))
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Body(Base):
    """One oversight office (Art. 114) with its jurisdiction; its type is a ``routing`` code."""

    __tablename__ = "bodies"
    __table_args__ = (
        CheckConstraint(
            "(level = 'national' AND province_id IS NULL AND institution_id IS NULL)"
            " OR (level = 'province' AND province_id IS NOT NULL AND institution_id IS NULL)"
            " OR (level = 'institution' AND institution_id IS NOT NULL)",
            name="level_matches_jurisdiction",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    body_type: Mapped[str] = mapped_column(String(60), index=True)
    level: Mapped[Level] = mapped_column(vocabulary(Level))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Report(Base):
    """A sealed report: ciphertext plus the routing envelope the server needs to deliver it.

    ``id`` is made by the client (exactly-once submission); ``lookup_verifier`` is a hash of
    the lookup secret derived from the tracking token on the client, never the token.
    """

    __tablename__ = "reports"
    __table_args__ = (
        *hour_precision_checks("reports", "received_hour"),
        *hour_precision_checks("reports", "watch_until"),
        *random_uuid_checks("id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    protocol_version: Mapped[int] = mapped_column(SmallInteger)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    envelope_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    report_type: Mapped[ReportType] = mapped_column(vocabulary(ReportType))
    category: Mapped[str] = mapped_column(String(60))
    concerns: Mapped[str] = mapped_column(String(60))
    reporter_type: Mapped[ReporterType] = mapped_column(vocabulary(ReporterType))
    channel: Mapped[Channel] = mapped_column(vocabulary(Channel))
    urgency: Mapped[Urgency] = mapped_column(vocabulary(Urgency))
    status: Mapped[ReportStatus] = mapped_column(vocabulary(ReportStatus), index=True)
    retaliation: Mapped[bool] = mapped_column(Boolean, default=False)
    received_hour: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lookup_verifier: Mapped[bytes | None] = mapped_column(LargeBinary(64), unique=True)
    # The reporter's thread-key tag over the envelope's context (PROTOCOL.md §3.6).
    thread_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # Which signed directory and policy the server routed this report with, and the
    # deadlines that follow from ``received_hour`` (so they say nothing finer than it).
    directory_serial: Mapped[int] = mapped_column(Integer, default=0)
    policy_version: Mapped[str] = mapped_column(String(64), default="")
    acknowledge_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The reporter asked for protection (Art. 114's instruction) in a follow-up.
    protection_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # A report concerning staff or management opens a retaliation watch until this hour:
    # closing the case before then needs a second officer's approval.
    watch_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The reporter's tag over the escrowed escalation wraps (PROTOCOL.md §3.7).
    escrow_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32))

    @validates("id")
    def _random_id(self, _: str, value: uuid.UUID) -> uuid.UUID:
        return require_random_uuid(value)

    @validates("received_hour", "watch_until")
    def _coarse_time(self, _: str, value: datetime | None) -> datetime | None:
        return None if value is None else require_hour_precision(value)


class ReportRecipient(Base):
    """A body that may read a report: it holds the report's content key wrapped to its key.

    ``wrapped_key`` is None while a body added later (escalation after a retaliation
    follow-up) waits for an officer of a body that holds the report to re-wrap it.
    """

    __tablename__ = "report_recipients"
    __table_args__ = (
        *hour_precision_checks("report_recipients", "added_hour"),
        *hour_precision_checks("report_recipients", "acknowledged_hour"),
        # A body's inbox: its reports, newest first, a page at a time (docs/CONSOLE.md).
        Index("ix_report_recipients_inbox", "body_id", "added_hour", "report_id"),
        # The monthly summaries find a month's referrals, escalations, acknowledgements and
        # deadlines by time (docs/SUMMARIES.md).
        Index("ix_report_recipients_added_hour", "added_hour"),
        Index("ix_report_recipients_acknowledged_hour", "acknowledged_hour"),
    )

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True, index=True)
    via: Mapped[RecipientVia] = mapped_column(vocabulary(RecipientVia))
    reason: Mapped[str] = mapped_column(String(60))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The key id ``wrapped_key`` is sealed to, for wraps made after submission (referrals,
    # re-wraps, released escrow); an initial recipient's is in the envelope beside its wrap.
    key_id: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    added_hour: Mapped[datetime] = mapped_column(UTCDateTime)
    # The body's own handling of the case (the console): its state, the triage of the Note to
    # Art. 114, the officer it is assigned to, the outcome, and what the deadline job found.
    state: Mapped[ReportStatus] = mapped_column(vocabulary(ReportStatus), default=ReportStatus.RECEIVED)
    triage: Mapped[Triage | None] = mapped_column(vocabulary(Triage))
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    outcome: Mapped[Outcome | None] = mapped_column(vocabulary(Outcome))
    acknowledged_hour: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A body that joins later (referral, escalation) gets its own deadlines, the policy's
    # durations from when it joined; none means the report's (an initial recipient).
    acknowledge_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    # A referred body's tag, made by the referring officer with the report's thread key over
    # the context and the body's key id (PROTOCOL.md §3.6): the reporter's device trusts it.
    referral_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # After the body's key was rotated, a tag an officer's device made with the thread key over
    # the context and the body's new key id (PROTOCOL.md §6.1), and that key id: the reporter's
    # device trusts the new key only with it.
    rekey_key_id: Mapped[bytes | None] = mapped_column(LargeBinary(16))
    rekey_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32))

    @validates("added_hour", "acknowledged_hour")
    def _coarse_time(self, _: str, value: datetime | None) -> datetime | None:
        return None if value is None else require_hour_precision(value)


class StatusEvent(Base):
    """One step in a report's history, as its reporter will see it.

    The id is random and ``seq`` counts within the report: a table-wide counter would record
    the order in which reports arrived, finer than the hour.
    """

    __tablename__ = "status_events"
    __table_args__ = (
        UniqueConstraint("report_id", "seq"),
        # The monthly summaries find a month's closures by time (docs/SUMMARIES.md).
        Index("ix_status_events_at_hour", "at_hour"),
        *hour_precision_checks("status_events", "at_hour"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[ReportStatus] = mapped_column(vocabulary(ReportStatus))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    at_hour: Mapped[datetime] = mapped_column(UTCDateTime)

    @validates("at_hour")
    def _coarse_time(self, _: str, value: datetime) -> datetime:
        return require_hour_precision(value)


class Officer(Base):
    """An account in the review console; an operator belongs to no body."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[OfficerRole] = mapped_column(vocabulary(OfficerRole))
    # Argon2id of the *authentication value* the officer's device derives from the passphrase
    # (PROTOCOL.md §6.2); the passphrase itself never leaves the device.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Enrolment: a one-time code (only its hash), valid until it expires or is used.
    enrolment_code_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    enrolment_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The officer's key pair, made on their device: the public key, and the seed sealed under
    # the passphrase-derived key (PROTOCOL.md §6.2) with the salt that derivation uses.
    key_salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(1216))
    key_id: Mapped[bytes | None] = mapped_column(LargeBinary(16), unique=True)
    protected_seed: Mapped[bytes | None] = mapped_column(LargeBinary(128))
    # The second factor (RFC 6238 TOTP): its secret, and the last time step used (no replays).
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Repeated failed sign-ins lock the account for a growing time.
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OfficerSession(Base):
    """A signed-in console session. The cookie holds a random token; only its hash is here."""

    __tablename__ = "officer_sessions"

    cookie_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), index=True)
    csrf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BodyKeyGrant(Base):
    """A body's seed sealed to one officer's key (PROTOCOL.md §6.1), made on a body
    administrator's device after a person compared the officer's key fingerprint."""

    __tablename__ = "body_key_grants"

    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"), primary_key=True)
    body_key_id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    grant: Mapped[bytes] = mapped_column(LargeBinary)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("officers.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """One link of the append-only, hash-chained audit log (see ``server/audit.py``)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(String(120))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)


class MessageAuthor(StrEnum):
    """Who posted a sealed message: the reporter (with the token) or a body's officer."""

    REPORTER = "reporter"
    BODY = "body"


class Message(Base):
    """A sealed message about a report (crypto.SealedMessage): a reply, follow-up or note.

    ``id`` is the client-made message id (so a retried post is stored once); ``seq`` counts
    within the report, like ``StatusEvent.seq``, and the time is kept to the hour.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("report_id", "seq"),
        *hour_precision_checks("messages", "at_hour"),
        *random_uuid_checks("id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[MessageAuthor] = mapped_column(vocabulary(MessageAuthor))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    at_hour: Mapped[datetime] = mapped_column(UTCDateTime)

    @validates("id")
    def _random_id(self, _: str, value: uuid.UUID) -> uuid.UUID:
        return require_random_uuid(value)

    @validates("at_hour")
    def _coarse_time(self, _: str, value: datetime) -> datetime:
        return require_hour_precision(value)


class Upload(Base):
    """A sealed attachment stream being uploaded in chunks (docs/PROTOCOL.md §3.4).

    It belongs to no report until a submission that lists it commits; uploads never bound
    are purged. ``id`` is the client-made attachment id.
    """

    __tablename__ = "uploads"
    __table_args__ = (*hour_precision_checks("uploads", "created_hour"), *random_uuid_checks("id"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    chunks: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    # SHA-256 of each sealed chunk, concatenated: a chunk is checked when it arrives, so no
    # one who learns the id from a URL can fill a position with other bytes first.
    chunk_digests: Mapped[bytes] = mapped_column(LargeBinary)
    report_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    created_hour: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @validates("id")
    def _random_id(self, _: str, value: uuid.UUID) -> uuid.UUID:
        return require_random_uuid(value)

    @validates("created_hour")
    def _coarse_time(self, _: str, value: datetime) -> datetime:
        return require_hour_precision(value)


class UploadChunk(Base):
    """One sealed chunk of an upload, as the client sent it."""

    __tablename__ = "upload_chunks"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PublishedDocument(Base):
    """A signed key directory or routing policy the server hands to clients (PROTOCOL.md §7).

    Checked against the root public key when published; the newest of each kind is served.
    """

    __tablename__ = "published_documents"
    __table_args__ = (UniqueConstraint("kind", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    serial: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    signed: Mapped[bytes] = mapped_column(LargeBinary)
    root_public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServerSecret(Base):
    """A random secret shared by every server process (the client-puzzle key).

    Not report data: it only lets the servers check puzzles they issued.
    """

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary(32))


class EscrowWrap(Base):
    """The report's key wrapped at submission to a body an escalation would reach
    (PROTOCOL.md §3.7); the deadline job releases it into that body's inbox when a deadline
    passes. Until then the server keeps it and shows it to no one."""

    __tablename__ = "escrow_wraps"
    __table_args__ = hour_precision_checks("escrow_wraps", "released_hour")

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[bytes | None] = mapped_column(LargeBinary(16))  # the key it is sealed to
    released_hour: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("released_hour")
    def _coarse_time(self, _: str, value: datetime | None) -> datetime | None:
        return None if value is None else require_hour_precision(value)


class CloseRequest(Base):
    """Closing a case during its retaliation watch: one officer asks, another approves."""

    __tablename__ = "close_requests"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True)
    outcome: Mapped[Outcome] = mapped_column(vocabulary(Outcome))
    requested_by: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    # The sealed reply that will tell the reporter, posted when the close is approved.
    message: Mapped[bytes] = mapped_column(LargeBinary)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProtectionMeasure(Base):
    """A measure a body took to protect a reporter (Art. 114's instruction): its kind in the
    clear, for the case and the statistics; what it means for the reporter is told in a sealed
    reply (``message_id``)."""

    __tablename__ = "protection_measures"
    __table_args__ = hour_precision_checks("protection_measures", "at_hour")

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    measure: Mapped[ProtectionKind] = mapped_column(vocabulary(ProtectionKind))
    at_hour: Mapped[datetime] = mapped_column(UTCDateTime)

    @validates("at_hour")
    def _coarse_time(self, _: str, value: datetime) -> datetime:
        return require_hour_precision(value)


class KioskState(StrEnum):
    """A kiosk's life: an operator made it (an enrolment code waits), it enrolled its device
    key, an operator approved that key after comparing fingerprints, or it was revoked."""

    CREATED = "created"
    ENROLLED = "enrolled"
    APPROVED = "approved"
    REVOKED = "revoked"


class Kiosk(Base):
    """A kiosk in a ward (docs/KIOSK.md). Its Ed25519 device key signs its requests and proves
    the channel "a kiosk of this institution"; no report row names the kiosk that sent it."""

    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    state: Mapped[KioskState] = mapped_column(vocabulary(KioskState))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Enrolment: a one-time code (only its hash), valid until it expires or is used.
    enrolment_code_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    enrolment_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(40))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BoxState(StrEnum):
    """A suggestion box is installed in its ward or hall, or was removed."""

    INSTALLED = "installed"
    REMOVED = "removed"


class Box(Base):
    """A suggestion box (Note to Art. 114) in a ward or hall of an institution (docs/BOXES.md).
    From the week after it is installed until it is removed, every Saturday-to-Friday week
    needs an opening; a week without one is flagged."""

    __tablename__ = "boxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    place: Mapped[str] = mapped_column(String(200))  # the ward or hall, as its staff name it
    state: Mapped[BoxState] = mapped_column(vocabulary(BoxState))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BoxOpening(Base):
    """One opening of a box: its facts, then its letters one by one (``BoxLetter``); closed
    once every counted letter is transcribed, with the minutes made then and their SHA-256
    recorded (and in the audit log) so that a changed copy is detectable."""

    __tablename__ = "box_openings"
    __table_args__ = random_uuid_checks("id")

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    transcriber_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    witnesses: Mapped[str] = mapped_column(Text)  # JSON list of names (staff who attended)
    seal_numbers: Mapped[str] = mapped_column(Text)  # JSON list, empty if the box has no seal
    letter_count: Mapped[int] = mapped_column(SmallInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes: Mapped[bytes | None] = mapped_column(LargeBinary)  # the PDF (no letter content)
    minutes_sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32))

    @validates("id")
    def _random_id(self, _: str, value: uuid.UUID) -> uuid.UUID:
        return require_random_uuid(value)


class BoxLetter(Base):
    """The report a letter of an opening became (channel "box"), by its number in the minutes."""

    __tablename__ = "box_letters"

    opening_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("box_openings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"), unique=True)


class SlipBatch(Base):
    """A printed batch of token slips (PROTOCOL.md §13): who made it and when, how many."""

    __tablename__ = "slip_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    count: Mapped[int] = mapped_column(Integer)


class SlipClaim(Base):
    """One slip of a batch, found by the claim id the transcriber's device derives from the
    claim code. Until claimed it keeps the token's verifier, reply key and the thread key
    sealed under the claim code; once a letter claims it, only the claim id and the report
    remain (a claim code works once)."""

    __tablename__ = "slip_claims"
    __table_args__ = hour_precision_checks("slip_claims", "claimed_hour")

    claim_id: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("slip_batches.id"), index=True)
    # Indexed: the public intake refuses a report whose verifier an unclaimed slip holds.
    lookup_verifier: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    reporter_key: Mapped[bytes | None] = mapped_column(LargeBinary(1216))
    sealed_thread_key: Mapped[bytes | None] = mapped_column(LargeBinary(64))
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"), unique=True)
    claimed_hour: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("claimed_hour")
    def _coarse_time(self, _: str, value: datetime | None) -> datetime | None:
        return None if value is None else require_hour_precision(value)


class MonthlySummary(Base):
    """A month's analytic summary for one scope in one view (docs/SUMMARIES.md): the signed
    canonical JSON, made once after the month closed and never changed. Only counts of
    routing metadata and case events; suppressed cells are absent from the suppressed view."""

    __tablename__ = "monthly_summaries"
    __table_args__ = (UniqueConstraint("month", "level", "unit_code", "view"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # Solar Hijri "1405-08"
    level: Mapped[str] = mapped_column(String(16))  # institution, province or national
    unit_code: Mapped[str] = mapped_column(String(100))
    view: Mapped[str] = mapped_column(String(16))  # full or suppressed
    # The scope's reports in the month as this view shows them (None: withheld), for the
    # trend charts of later months without decoding every earlier document.
    reports: Mapped[int | None] = mapped_column(Integer)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[bytes] = mapped_column(LargeBinary)  # the canonical JSON
    document_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
