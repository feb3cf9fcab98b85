"""The intake API's wire structs (strict: unknown fields refused, every size bounded).

Bytes travel as standard base64. The Python client (``kiosk_client``) keeps its own
tolerant copies of the answers, so an older kiosk can read a newer server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from crypto import EnvelopeHeader, RecipientWrap, ReportEnvelope, RoutingMetadata, SealedMessage
from crypto.envelope import MAX_RECIPIENTS, Code, UUIDText
from server.intake.abuse import PuzzleSolution

MAX_ATTACHMENTS = 8
MAX_REPORTER_CHOICES = 8  # bodies a reporter may add to the policy's (Art. 114)
MAX_ESCROW = MAX_RECIPIENTS  # at most one escalation target per recipient
MAX_UPLOAD_CHUNKS = 160  # 10 MiB in 64 KiB chunks
MAX_CHUNK_BYTES = 64 * 1024 + 16  # a sealed chunk: plaintext piece and GCM tag

Bytes32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class EscrowItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The report's keys wrapped to a body an escalation would reach (PROTOCOL.md §3.7)."""

    body: Code
    wrap: RecipientWrap


class Submission(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A sealed report. ``reporter_choices`` are the bodies the reporter added (Art. 114);
    ``lookup_verifier`` is H(lookup secret) when the report has a tracking token.
    ``escrow`` holds wraps for exactly routing's escalation targets (or none, from an older
    client), ``escrow_tag`` the reporter's tag over their key ids when there is a token."""

    envelope: ReportEnvelope
    directory_serial: Annotated[int, msgspec.Meta(ge=1)]
    reporter_choices: Annotated[list[Code], msgspec.Meta(max_length=MAX_REPORTER_CHOICES)] = []
    lookup_verifier: Bytes32 | None = None
    attachments: Annotated[list[UUIDText], msgspec.Meta(max_length=MAX_ATTACHMENTS)] = []
    puzzle: PuzzleSolution | None = None
    thread_tag: Bytes32 | None = None
    escrow: Annotated[list[EscrowItem], msgspec.Meta(max_length=MAX_ESCROW)] = []
    escrow_tag: Bytes32 | None = None


class Receipt(msgspec.Struct, frozen=True):
    """Sent only after the report is durably stored; the same for a repeated submission."""

    report_id: str
    envelope_sha256: bytes
    received_hour: datetime
    acknowledge_by: datetime | None
    feedback_by: datetime | None
    recipients: list[str]


class LookupRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A status look-up: the lookup secret derived from the token (never the token)."""

    lookup_secret: Bytes32
    puzzle: PuzzleSolution | None = None


class HistoryItem(msgspec.Struct, frozen=True):
    status: str
    at_hour: datetime
    body: str | None


class RecipientItem(msgspec.Struct, frozen=True):
    """``referral_tag``: the referring officer's tag over the context and this body's key id
    (PROTOCOL.md §3.6), for a body added by referral; ``rekey_tag``: an officer's tag over the
    context and the body's new key id after a key rotation (§6.1)."""

    body: str
    via: str
    reason: str
    awaiting_key: bool
    referral_tag: bytes | None = None
    rekey_tag: bytes | None = None


class MeasureItem(msgspec.Struct, frozen=True):
    """A protection measure a body recorded (its meaning is told in a sealed reply)."""

    measure: str
    at_hour: datetime
    body: str | None


class ReplyItem(msgspec.Struct, frozen=True):
    """A sealed reply: only the reporter (with the token) can open and authenticate it."""

    message: SealedMessage
    body: str | None
    at_hour: datetime


class StatusView(msgspec.Struct, frozen=True):
    """``header`` and ``thread_tag`` let the reporter's device check, with its thread key,
    the routing and initial recipients before it seals a follow-up (PROTOCOL.md §3.6);
    ``escrow_key_ids`` and ``escrow_tag`` the bodies an escalation may add (§3.7)."""

    report_id: str
    header: EnvelopeHeader
    thread_tag: bytes | None
    routing: RoutingMetadata
    status: str
    retaliation: bool
    received_hour: datetime
    acknowledge_by: datetime | None
    feedback_by: datetime | None
    history: list[HistoryItem]
    recipients: list[RecipientItem]
    replies: list[ReplyItem]
    escrow_key_ids: list[bytes] = []
    escrow_tag: bytes | None = None
    protection_requested: bool = False
    measures: list[MeasureItem] = []


class FollowUpRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A reporter's follow-up, sealed to the report's bodies (and, with ``retaliation``, to
    the bodies the routing policy adds for retaliation); ``protection`` asks for protection
    (marks the report, nothing else is stored)."""

    lookup_secret: Bytes32
    message: SealedMessage
    directory_serial: Annotated[int, msgspec.Meta(ge=1)]
    retaliation: bool = False
    puzzle: PuzzleSolution | None = None
    protection: bool = False


class FollowUpReceipt(msgspec.Struct, frozen=True):
    message_id: str
    at_hour: datetime
    retaliation: bool
    added_bodies: list[str]


class UploadStart(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Announce a sealed attachment stream: its chunk count, stream digest (§3.4) and the
    SHA-256 of each chunk (so each is checked on arrival)."""

    attachment_id: UUIDText
    chunks: Annotated[int, msgspec.Meta(ge=1, le=MAX_UPLOAD_CHUNKS)]
    sha256: Bytes32
    chunk_sha256: Annotated[list[Bytes32], msgspec.Meta(min_length=1, max_length=MAX_UPLOAD_CHUNKS)]
    puzzle: PuzzleSolution | None = None


class UploadState(msgspec.Struct, frozen=True):
    """Which chunks the server holds (to resume), and whether a report took the upload."""

    attachment_id: str
    chunks: int
    received: list[int]
    bound: bool
