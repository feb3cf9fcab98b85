"""The signed key directory: ``decode_signed`` then ``verify_directory`` as every client and
the server load it, and ``directory_from_signed`` (routing's view) of what verifies.

Accepted: ``EnvelopeFormatError`` from decoding the signed document; ``SignatureError`` for
every refusal to verify (the one error a client may get). The fuzzed directory document is
also signed with the test root key, so that it reaches the checks behind the signature.
Invariants: a directory that verifies is exactly the signed bytes decoded, signs and verifies
again to the same directory, and is refused under another root key or a higher serial floor.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

import crypto
from crypto.directory import decode_signed, encode_directory, encode_signed
from routing.decide import directory_from_signed
from tests.fuzz import samples
from tests.fuzz.provider import Provider

_OTHER_ROOT = crypto.root_public_key(bytes(32))
_VECTOR = decode_signed(samples.DIRECTORY_SIGNED_JSON)


def seeds() -> list[bytes]:
    world = samples.world()
    directory_document = decode_signed(world.directory_json).document
    return [
        bytes([0]) + samples.DIRECTORY_SIGNED_JSON,
        bytes([0]) + world.directory_json,
        bytes([1]) + _VECTOR.document,
        bytes([1]) + directory_document,
    ]


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    if provider.byte() % 2 == 0:
        signed_directory(provider.rest())
    else:
        document = provider.rest()
        signed_directory(encode_signed(crypto.sign_document("directory", document, samples.ROOT_SEED)))


def signed_directory(data: bytes) -> None:
    try:
        signed = decode_signed(data)
    except crypto.EnvelopeFormatError:
        return
    for now in (samples.DIRECTORY_VALID_AT, samples.NOW):
        try:
            directory = crypto.verify_directory(signed, samples.ROOT_PUBLIC, now=now)
        except crypto.SignatureError:
            continue
        check_verified(signed, directory, now)


def check_verified(signed: crypto.SignedDocument, directory: crypto.KeyDirectory, now: datetime) -> None:
    assert msgspec.json.decode(signed.document, type=crypto.KeyDirectory) == directory
    routing = directory_from_signed(directory)
    assert {ref.code for ref in routing.bodies} == {entry.body for entry in directory.bodies}
    again = crypto.sign_directory(directory, samples.ROOT_SEED)
    assert again.document == encode_directory(directory)
    assert crypto.verify_directory(again, samples.ROOT_PUBLIC, now=now) == directory
    for root, floor in ((_OTHER_ROOT, 1), (samples.ROOT_PUBLIC, directory.serial + 1)):
        try:
            crypto.verify_directory(signed, root, now=now, min_serial=floor)
        except crypto.SignatureError:
            continue
        raise AssertionError("a directory verified where it must not")
