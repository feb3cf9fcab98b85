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
    __table_args__ = (*hour_precision_checks("reports", "received_hour"), *random_uuid_checks("id"))

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

    @validates("id")
    def _random_id(self, _: str, value: uuid.UUID) -> uuid.UUID:
        return require_random_uuid(value)

    @validates("received_hour")
    def _coarse_time(self, _: str, value: datetime) -> datetime:
        return require_hour_precision(value)


class ReportRecipient(Base):
    """A body that may read a report: it holds the report's content key wrapped to its key."""

    __tablename__ = "report_recipients"
    __table_args__ = hour_precision_checks("report_recipients", "added_hour")

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), primary_key=True, index=True)
    via: Mapped[RecipientVia] = mapped_column(vocabulary(RecipientVia))
    reason: Mapped[str] = mapped_column(String(60))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    added_hour: Mapped[datetime] = mapped_column(UTCDateTime)

    @validates("added_hour")
    def _coarse_time(self, _: str, value: datetime) -> datetime:
        return require_hour_precision(value)


class StatusEvent(Base):
    """One step in a report's history, as its reporter will see it.

    The id is random and ``seq`` counts within the report: a table-wide counter would record
    the order in which reports arrived, finer than the hour.
    """

    __tablename__ = "status_events"
    __table_args__ = (
        UniqueConstraint("report_id", "seq"),
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
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
