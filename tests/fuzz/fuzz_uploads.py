"""Uploaded attachments: the sealed chunk streams an officer's device opens (``open_chunks``,
``open_attachment``), from chunks as the server hands them back. (The announcement,
``UploadStart``, is decoded in ``fuzz_api_bodies`` with every other request body.)

Accepted: ``OpenError`` for anything but the stream that was sealed — a changed, cut, dropped,
repeated or reordered chunk, an empty stream, or a reference (count, size, digest) that does
not describe it. Invariant: what opens is exactly the data that was sealed.
"""

from __future__ import annotations

import hashlib

import msgspec

import crypto
from tests.fuzz import samples
from tests.fuzz.provider import Provider

_ATTACHMENT_ID = "6f1c2b1e-8a7d-4c3e-9b2a-1d0e5f4a3b2c"
_DATA = hashlib.shake_256(b"seda/fuzz/attachment").digest(150_000)
_ENVELOPE = crypto.decode_envelope(samples.ENVELOPE_JSON)
_CONTEXT = _ENVELOPE.context()
_KEYS = samples.opened_vector().keys
_KEY = crypto.attachment_key(_KEYS, _CONTEXT, _ATTACHMENT_ID)
_CHUNKS = crypto.seal_chunks(_KEY, _DATA)
_REF = crypto.AttachmentRef(
    attachment_id=_ATTACHMENT_ID,
    name="evidence.pdf",
    media_type="application/pdf",
    size=len(_DATA),
    chunks=len(_CHUNKS),
    sha256=crypto.stream_digest(_CHUNKS),
)


def seeds() -> list[bytes]:
    return [bytes([mode, how]) + bytes(range(32)) for mode in range(3) for how in range(0, 256, 37)]


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    mode = provider.byte() % 3
    if mode == 0:
        open_changed_stream(provider)
    elif mode == 1:
        open_with_changed_reference(provider)
    else:
        open_raw_chunks(provider)


def open_changed_stream(provider: Provider) -> None:
    chunks = list(_CHUNKS)
    how = provider.integer(0, 3)
    index = provider.integer(0, len(chunks) - 1)
    if how == 0:
        chunks[index] = provider.mutate(chunks[index])
    elif how == 1:
        chunks.pop(index)
    elif how == 2:
        chunks.insert(index, provider.pick(_CHUNKS))
    else:
        chunks[index], chunks[-1] = chunks[-1], chunks[index]
    try:
        opened = b"".join(crypto.open_chunks(_KEY, chunks))
    except crypto.OpenError:
        return
    assert chunks == _CHUNKS
    assert opened == _DATA


def open_with_changed_reference(provider: Provider) -> None:
    replace = msgspec.structs.replace
    how = provider.integer(0, 3)
    if how == 0:
        ref = replace(_REF, size=provider.integer(0, 2**40))
    elif how == 1:
        ref = replace(_REF, chunks=provider.integer(1, 10))
    elif how == 2:
        ref = replace(_REF, sha256=provider.mutate(_REF.sha256))
    else:
        ref = replace(
            _REF, attachment_id=provider.pick([_ATTACHMENT_ID, "0b3d6a52-2c4e-4b8f-8e3a-5d6c7b8a9f01"])
        )
    try:
        opened = crypto.open_attachment(_KEYS, _CONTEXT, ref, _CHUNKS)
    except crypto.OpenError:
        return
    assert ref == _REF
    assert opened == _DATA


def open_raw_chunks(provider: Provider) -> None:
    chunks = [provider.data(provider.integer(0, 200)) for _ in range(provider.integer(0, 4))]
    try:
        list(crypto.open_chunks(_KEY, chunks))
    except crypto.OpenError:
        return
    raise AssertionError("chunks the fuzzer made up opened")
