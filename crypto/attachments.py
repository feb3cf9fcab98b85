"""Attachments as chunked AEAD streams (docs/PROTOCOL.md §3.4).

Each attachment has its own key (derived from the report's content key). Chunk ``i`` is
sealed with the nonce ``0^7 || u32(i) || u8(last)``, so reordering, dropping, duplicating or
truncating chunks makes opening fail; the last chunk is marked, so a stream cut exactly at a
chunk boundary is caught too.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import EnvelopeFormatError, OpenError

CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16
MAX_CHUNKS = 1 << 20


def _nonce(index: int, last: bool) -> bytes:
    return bytes(7) + struct.pack(">IB", index, int(last))


def seal_chunks(key: bytes, data: bytes) -> list[bytes]:
    """Split ``data`` into 64 KiB chunks and seal each; an empty file is one empty chunk."""
    pieces = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
    if len(pieces) > MAX_CHUNKS:
        raise EnvelopeFormatError("attachment too large")
    aead = AESGCM(key)
    last = len(pieces) - 1
    return [aead.encrypt(_nonce(i, i == last), piece, b"") for i, piece in enumerate(pieces)]


def stream_digest(chunks: Iterable[bytes]) -> bytes:
    """SHA-256 over the sealed chunks in order (recorded in the payload's ``AttachmentRef``)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(struct.pack(">I", len(chunk)))
        digest.update(chunk)
    return digest.digest()


def open_chunks(key: bytes, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the plaintext of each chunk; ``OpenError`` on any tampering or truncation.

    The stream must end with the chunk marked last: a consumer must not act on the data
    until the iterator has finished without error.
    """
    aead = AESGCM(key)
    pending: bytes | None = None
    index = 0
    for chunk in chunks:
        if pending is not None:
            yield _open(aead, index - 1, pending, last=False)
        pending = chunk
        index += 1
    if pending is None:
        raise OpenError
    yield _open(aead, index - 1, pending, last=True)


def _open(aead: AESGCM, index: int, chunk: bytes, *, last: bool) -> bytes:
    if len(chunk) < TAG_BYTES or len(chunk) > CHUNK_BYTES + TAG_BYTES:
        raise OpenError
    try:
        return aead.decrypt(_nonce(index, last), chunk, b"")
    except InvalidTag:
        raise OpenError from None
