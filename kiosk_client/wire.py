"""The server's answers as the client reads them: tolerant (unknown fields are ignored), so
an older kiosk can read a newer server. Requests are built as plain dicts of the fields the
server's strict structs expect."""

from __future__ import annotations

from datetime import datetime

import msgspec

from crypto import EnvelopeHeader, RoutingMetadata, SealedMessage


class Puzzle(msgspec.Struct, frozen=True):
    challenge: bytes
    bits: int
    expires_in: int = 0


class Receipt(msgspec.Struct, frozen=True):
    report_id: str
    envelope_sha256: bytes
    received_hour: datetime
    acknowledge_by: datetime | None = None
    feedback_by: datetime | None = None
    recipients: list[str] = []


class HistoryItem(msgspec.Struct, frozen=True):
    status: str
    at_hour: datetime
    body: str | None = None


class RecipientItem(msgspec.Struct, frozen=True):
    body: str
    via: str = ""
    reason: str = ""
    awaiting_key: bool = False
    referral_tag: bytes | None = None
    rekey_tag: bytes | None = None


class MeasureItem(msgspec.Struct, frozen=True):
    measure: str
    at_hour: datetime
    body: str | None = None


class ReplyItem(msgspec.Struct, frozen=True):
    message: SealedMessage
    at_hour: datetime
    body: str | None = None


class StatusView(msgspec.Struct, frozen=True):
    report_id: str
    routing: RoutingMetadata
    status: str
    received_hour: datetime
    retaliation: bool = False
    acknowledge_by: datetime | None = None
    feedback_by: datetime | None = None
    history: list[HistoryItem] = []
    recipients: list[RecipientItem] = []
    replies: list[ReplyItem] = []
    header: EnvelopeHeader | None = None
    thread_tag: bytes | None = None
    escrow_key_ids: list[bytes] = []
    escrow_tag: bytes | None = None
    protection_requested: bool = False
    measures: list[MeasureItem] = []


class FollowUpReceipt(msgspec.Struct, frozen=True):
    message_id: str
    at_hour: datetime
    retaliation: bool = False
    added_bodies: list[str] = []


class UploadState(msgspec.Struct, frozen=True):
    attachment_id: str
    chunks: int
    received: list[int] = []
    bound: bool = False


class Problem(msgspec.Struct, frozen=True):
    code: str = "unknown"
    status: int = 0
    title: str = ""
    detail: str = ""
