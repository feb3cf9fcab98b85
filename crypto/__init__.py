"""The Sedā protocol v1: sealed report envelopes, tracking tokens, body keys, signed directory.

Pure library: no I/O, no clock, no imports from ``server``, ``kiosk_client``, Litestar or
SQLAlchemy (enforced by import-linter, see ``pyproject.toml``). The protocol is specified
byte by byte in ``docs/PROTOCOL.md``; ``tests/vectors/protocol-v1.json`` holds the
known-answer vectors that this implementation and the browser's (``web/protocol``) pass.

The names below are the safe API; ``crypto.primitives`` and ``crypto.sealing`` are internal.
Every failure to open anything is the one opaque ``OpenError``.
"""

from crypto.attachments import open_chunks, seal_chunks, stream_digest
from crypto.derive import (
    OFFICER_PARAMS_V1,
    TOKEN_PARAMS_V1,
    Argon2Params,
    OfficerSecrets,
    TokenSecrets,
    derive_from_passphrase,
    derive_from_token,
    lookup_verifier,
)
from crypto.directory import (
    DirectoryEntry,
    DirectoryInstitution,
    KeyDirectory,
    PolicyReference,
    SignedDocument,
    root_key_id,
    root_public_key,
    sign_directory,
    sign_document,
    verify_directory,
    verify_document,
)
from crypto.envelope import (
    AttachmentRef,
    OpenedReport,
    ReportEnvelope,
    ReporterIdentity,
    ReportKeys,
    ReportPayload,
    RoutingMetadata,
    attachment_key,
    decode_envelope,
    encode_envelope,
    new_report_keys,
    open_attachment,
    open_report,
    report_context,
    rewrap_for_referral,
    seal_report,
)
from crypto.errors import (
    CryptoError,
    EnvelopeFormatError,
    KeyFormatError,
    OpenError,
    SignatureError,
    TokenFormatError,
)
from crypto.keys import (
    UnverifiedKeyError,
    grant_body_key,
    key_fingerprint,
    new_seed,
    open_body_key_grant,
    protect_officer_seed,
    public_key_of,
    rotate_body_key,
    unlock_officer_seed,
)
from crypto.messages import MessageBody, SealedMessage, open_message, seal_message
from crypto.sealing import RecipientWrap
from crypto.token import TrackingToken, new_token, parse_token

__all__ = [
    "OFFICER_PARAMS_V1",
    "TOKEN_PARAMS_V1",
    "Argon2Params",
    "AttachmentRef",
    "CryptoError",
    "DirectoryEntry",
    "DirectoryInstitution",
    "EnvelopeFormatError",
    "KeyDirectory",
    "KeyFormatError",
    "MessageBody",
    "OfficerSecrets",
    "OpenError",
    "OpenedReport",
    "PolicyReference",
    "RecipientWrap",
    "ReportEnvelope",
    "ReportKeys",
    "ReportPayload",
    "ReporterIdentity",
    "RoutingMetadata",
    "SealedMessage",
    "SignatureError",
    "SignedDocument",
    "TokenFormatError",
    "TokenSecrets",
    "TrackingToken",
    "UnverifiedKeyError",
    "attachment_key",
    "decode_envelope",
    "derive_from_passphrase",
    "derive_from_token",
    "encode_envelope",
    "grant_body_key",
    "key_fingerprint",
    "lookup_verifier",
    "new_report_keys",
    "new_seed",
    "new_token",
    "open_attachment",
    "open_body_key_grant",
    "open_chunks",
    "open_message",
    "open_report",
    "parse_token",
    "protect_officer_seed",
    "public_key_of",
    "report_context",
    "rewrap_for_referral",
    "root_key_id",
    "root_public_key",
    "rotate_body_key",
    "seal_chunks",
    "seal_message",
    "seal_report",
    "sign_directory",
    "sign_document",
    "stream_digest",
    "unlock_officer_seed",
    "verify_directory",
    "verify_document",
]
