"""The signed key directory: which public key belongs to which body (§7).

An offline root key (Ed25519) signs the directory — every body, its current public key, and
the routing policy's version and hash. Clients pin the root public key and use a body key
only if it comes from a directory that verifies; a server that swaps a key is caught.
The signature covers the exact bytes of the document, so no canonical JSON is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto.encoding import fields, sha256
from crypto.errors import EnvelopeFormatError, KeyFormatError, SignatureError
from crypto.primitives import KEY_ID_BYTES, XWING_PUBLIC_BYTES, key_id

ROOT_KEY_BYTES = 32
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}\Z")]
# A closed set (routing.vocabulary.Level): routing could not use a body of another level, and
# a server that loaded a directory with one failed every request.
DirectoryLevel = Literal["institution", "province", "national"]


class DirectoryEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One body and its current public key."""

    body: Code
    body_type: Code
    level: DirectoryLevel
    province: Code | None
    institution: Code | None
    name_fa: Annotated[str, msgspec.Meta(max_length=300)]
    name_en: Annotated[str, msgspec.Meta(max_length=300)]
    key_id: Annotated[bytes, msgspec.Meta(min_length=KEY_ID_BYTES, max_length=KEY_ID_BYTES)]
    public_key: Annotated[bytes, msgspec.Meta(min_length=XWING_PUBLIC_BYTES, max_length=XWING_PUBLIC_BYTES)]


class DirectoryInstitution(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An institution and its province: routing's jurisdictions are signed too."""

    code: Code
    province: Code


class PolicyReference(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The routing policy in force: its version and the SHA-256 of its file."""

    version: Annotated[str, msgspec.Meta(max_length=64)]
    sha256: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


Instant = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")]


class KeyDirectory(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The directory. ``serial`` only grows, so a client can refuse an older one; and it
    expires, so a server cannot keep serving a directory from before a key rotation to
    clients that keep no memory (a web page)."""

    serial: Annotated[int, msgspec.Meta(ge=1)]
    issued_at: Instant
    expires_at: Instant
    bodies: Annotated[list[DirectoryEntry], msgspec.Meta(max_length=10_000)]
    policy: PolicyReference | None = None
    institutions: Annotated[list[DirectoryInstitution], msgspec.Meta(max_length=10_000)] = []


class SignedDocument(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A document (``kind``: ``directory`` or ``policy``) with the root key's signature."""

    kind: Annotated[str, msgspec.Meta(pattern=r"^[a-z-]{1,32}\Z")]
    document: Annotated[bytes, msgspec.Meta(max_length=32 * 1024 * 1024)]
    root_key_id: Annotated[bytes, msgspec.Meta(min_length=KEY_ID_BYTES, max_length=KEY_ID_BYTES)]
    signature: Annotated[bytes, msgspec.Meta(min_length=64, max_length=64)]


def root_public_key(root_seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of a root seed (what clients pin)."""
    if len(root_seed) != ROOT_KEY_BYTES:
        raise KeyFormatError("a root key seed is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(root_seed).public_key().public_bytes_raw()


def root_key_id(root_public: bytes) -> bytes:
    """A root public key's 16-byte id."""
    return sha256("seda/v1/root-key-id", root_public)[:KEY_ID_BYTES]


def _signed_message(kind: str, document: bytes) -> bytes:
    return fields("seda/v1/signed-document", kind, document)


def sign_document(kind: str, document: bytes, root_seed: bytes) -> SignedDocument:
    """Sign ``document`` (exact bytes) as ``kind`` with the offline root key."""
    signature = Ed25519PrivateKey.from_private_bytes(root_seed).sign(_signed_message(kind, document))
    return SignedDocument(
        kind=kind, document=document, root_key_id=root_key_id(root_public_key(root_seed)), signature=signature
    )


def verify_document(signed: SignedDocument, kind: str, pinned_root_public: bytes) -> bytes:
    """The document's bytes, if the pinned root key signed them as ``kind``; else ``SignatureError``."""
    if signed.kind != kind or signed.root_key_id != root_key_id(pinned_root_public):
        raise SignatureError
    try:
        Ed25519PublicKey.from_public_bytes(pinned_root_public).verify(
            signed.signature, _signed_message(kind, signed.document)
        )
    except (InvalidSignature, ValueError):
        raise SignatureError from None
    return signed.document


_directory_decoder = msgspec.json.Decoder(KeyDirectory)
_signed_decoder = msgspec.json.Decoder(SignedDocument)
_encoder = msgspec.json.Encoder()


def encode_directory(directory: KeyDirectory) -> bytes:
    return _encoder.encode(directory)


def sign_directory(directory: KeyDirectory, root_seed: bytes) -> SignedDocument:
    """Sign a directory after checking that every key id matches its key."""
    _check_entries(directory)
    return sign_document("directory", encode_directory(directory), root_seed)


def verify_directory(
    signed: SignedDocument, pinned_root_public: bytes, *, now: datetime, min_serial: int = 1
) -> KeyDirectory:
    """Verify and decode a signed directory valid at ``now``; refuse one older than ``min_serial``.

    Every refusal is ``SignatureError``: a client must not use any part of such a directory.
    """
    if now.tzinfo is None:
        raise SignatureError
    document = verify_document(signed, "directory", pinned_root_public)
    try:
        directory = _directory_decoder.decode(document)
        _check_entries(directory)
    # ValueError: msgspec reports invalid UTF-8 inside a string as UnicodeDecodeError.
    except (msgspec.ValidationError, msgspec.DecodeError, ValueError, EnvelopeFormatError):
        raise SignatureError from None
    if directory.serial < min_serial or not _instant(directory.issued_at) <= now < _instant(
        directory.expires_at
    ):
        raise SignatureError
    return directory


def _instant(text: str) -> datetime:
    # The pattern admits "2026-13-45T99:00:00Z" (and other scripts' digits): strptime decides.
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise EnvelopeFormatError("not a valid instant") from None


def _check_entries(directory: KeyDirectory) -> None:
    for entry in directory.bodies:
        if entry.key_id != key_id(entry.public_key):
            raise EnvelopeFormatError("a directory entry's key id does not match its key")
    if len({entry.body for entry in directory.bodies}) != len(directory.bodies):
        raise EnvelopeFormatError("a body appears twice in the directory")
    # Two bodies with one key would read each other's reports (a slip at a ceremony, say).
    if len({entry.key_id for entry in directory.bodies}) != len(directory.bodies):
        raise EnvelopeFormatError("two bodies share a key in the directory")
    provinces = {institution.code: institution.province for institution in directory.institutions}
    if len(provinces) != len(directory.institutions):
        raise EnvelopeFormatError("an institution appears twice in the directory")
    for entry in directory.bodies:
        if entry.institution is not None and provinces and provinces.get(entry.institution) != entry.province:
            raise EnvelopeFormatError("a body's province does not match its institution's")
    if _instant(directory.expires_at) <= _instant(directory.issued_at):
        raise EnvelopeFormatError("a directory must expire after it is issued")


def decode_signed(data: bytes) -> SignedDocument:
    """Strictly decode a signed document from JSON; ``EnvelopeFormatError`` when malformed."""
    try:
        return _signed_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        raise EnvelopeFormatError("malformed signed document") from None


def encode_signed(signed: SignedDocument) -> bytes:
    return _encoder.encode(signed)
