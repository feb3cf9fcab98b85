"""What a kiosk and the server read from each other and from disk, besides the documents:
kiosk request signatures (``verify_request``), client puzzles (``challenge_is_genuine``,
``solves``), the server's answers as the Python client decodes them (``decode_answer``), and a
kiosk's own files (``Device.load`` of ``kiosk.json`` and ``device.key``; the outbox).

Accepted: ``RequestSignatureError`` from a signature check; ``False`` from the puzzle checks;
``msgspec.DecodeError``/``ValidationError`` from an answer; ``NotEnrolledError`` from a damaged
or foreign kiosk home; ``sqlite3.DatabaseError`` (or ``UnicodeDecodeError`` for damaged text) from
a damaged outbox file. Invariants: a
signature verifies only over exactly the request signed; a forged challenge is not genuine.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import shutil
import sqlite3
import tempfile
from dataclasses import replace
from pathlib import Path

import msgspec

import crypto
from crypto import puzzle
from kiosk_client import wire
from kiosk_client.client import decode_answer
from kiosk_client.device import DEVICE_KEY, OUTBOX, SETTINGS, Device, NotEnrolledError
from kiosk_client.outbox import Outbox
from tests.fuzz import samples
from tests.fuzz.provider import Provider

_DEVICE_SEED = hashlib.sha256(b"seda/fuzz/kiosk-device").digest()
_DEVICE_PUBLIC = crypto.device_public_key(_DEVICE_SEED)
_REQUEST = crypto.KioskRequest(7, "POST", "/api/v1/reports", 1_790_000_000, samples.ENVELOPE_JSON[:300])
_SIGNATURE = crypto.sign_request(_DEVICE_SEED, _REQUEST)
_PUZZLE = samples.VECTORS["puzzle"]
_PUZZLE_SECRET = bytes.fromhex(_PUZZLE["secret"])
_CHALLENGE = bytes.fromhex(_PUZZLE["challenge"])
_ANSWERS: tuple[type[msgspec.Struct], ...] = (
    wire.Puzzle,
    wire.Receipt,
    wire.StatusView,
    wire.FollowUpReceipt,
    wire.UploadState,
    wire.Problem,
)
_HOME = Path(tempfile.mkdtemp(prefix="seda-fuzz-kiosk-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
_SETTINGS = (
    b'{"server": "http://127.0.0.1:8000", "kiosk_id": 7, "institution": "tehran-central", '
    b'"root_public": "' + samples.ROOT_PUBLIC.hex().encode() + b'"}'
)


def seeds() -> list[bytes]:
    receipt = b'{"report_id": "x", "envelope_sha256": "AAAA", "received_hour": "2026-12-01T09:00:00Z"}'
    found = [bytes([0, how]) + bytes(range(40)) for how in range(0, 256, 41)]
    found += [bytes([1]) + _CHALLENGE, bytes([2, 1]) + receipt, bytes([2, 5]) + b'{"code": "not-found"}']
    found += [bytes([3, 0]) + _SETTINGS, bytes([4]) + _outbox_file()]
    return found


def TestOneInput(data: bytes) -> None:  # noqa: N802 (libFuzzer's name)
    provider = Provider(data)
    mode = provider.byte() % 5
    if mode == 0:
        verify_changed_request(provider)
    elif mode == 1:
        check_puzzle(provider)
    elif mode == 2:
        kind = _ANSWERS[provider.byte() % len(_ANSWERS)]
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            decode_answer(provider.rest(), kind)
    elif mode == 3:
        seed = _DEVICE_SEED if provider.byte() % 2 == 0 else provider.data(provider.byte() % 40)
        load_device(provider.rest(), seed)
    else:
        read_outbox(provider.rest())


def verify_changed_request(provider: Provider) -> None:
    request, signature, public = _REQUEST, _SIGNATURE, _DEVICE_PUBLIC
    how = provider.integer(0, 6)
    if how == 0:
        request = replace(request, kiosk_id=provider.integer(-(2**70), 2**70))
    elif how == 1:
        request = replace(request, method=provider.rest().decode("utf-8", "surrogateescape"))
    elif how == 2:
        request = replace(request, path=provider.rest().decode("utf-8", "surrogateescape"))
    elif how == 3:
        request = replace(request, unix_time=provider.integer(-(2**40), 2**40))
    elif how == 4:
        request = replace(request, body=provider.mutate(request.body))
    elif how == 5:
        signature = provider.mutate(signature)
    else:
        public = provider.mutate(public)
    try:
        crypto.verify_request(public, signature, request)
    except crypto.RequestSignatureError:
        return
    assert public == _DEVICE_PUBLIC
    assert signature == _SIGNATURE
    assert request.message() == _REQUEST.message()  # the method is signed upper-cased


def check_puzzle(provider: Provider) -> None:
    challenge = provider.data(40)
    genuine = puzzle.challenge_is_genuine(_PUZZLE_SECRET, challenge)
    assert genuine == (challenge == puzzle.issue_challenge(_PUZZLE_SECRET, *_window_and_bits(challenge)))
    bits = provider.integer(-2, 40)
    solved = puzzle.solves(challenge, bits, _PUZZLE["purpose"], provider.data(32), provider.rest())
    assert solved in (True, False)


def _window_and_bits(challenge: bytes) -> tuple[int, int]:
    if len(challenge) != puzzle.CHALLENGE_BYTES or challenge[4] > puzzle.MAX_BITS:
        return 0, 0  # cannot be genuine: compare with a challenge it is not
    return puzzle.challenge_window(challenge), puzzle.challenge_bits(challenge)


def load_device(settings: bytes, seed: bytes) -> None:
    (_HOME / SETTINGS).write_bytes(settings)
    (_HOME / DEVICE_KEY).write_bytes(seed)
    try:
        device = Device.load(_HOME)
    except NotEnrolledError:
        return
    assert device.seed == seed
    assert len(seed) == 32
    assert len(device.root_public) == 32


def read_outbox(data: bytes) -> None:
    directory = _HOME / "outbox"
    shutil.rmtree(directory, ignore_errors=True)  # no write-ahead log left from the last input
    directory.mkdir()
    (directory / OUTBOX).write_bytes(data)
    try:
        outbox = Outbox(directory / OUTBOX)
        try:
            outbox.due(2e9)
            outbox.count()
            outbox.next_due()
            outbox.refusals()
            outbox.held(bytes(32))
        finally:
            outbox.close()
    # The sqlite3 module reports text it cannot decode as UnicodeDecodeError: either way the
    # kiosk stops with the file untouched rather than skipping what it cannot read.
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return


def _outbox_file() -> bytes:
    directory = Path(tempfile.mkdtemp(prefix="seda-fuzz-outbox-"))
    try:
        outbox = Outbox(directory / OUTBOX)
        outbox.add("4e1c6bb2-50b5-4cb7-9a31-3c1f4f0c2b6d", b"{}", bytes(32), bytes(32), 1.0)
        outbox.add("5f2d7cc3-61c6-4dc8-8b42-4d2f5f1d3c7e", b"{}", bytes(32), None, 2.0)
        outbox.tried("5f2d7cc3-61c6-4dc8-8b42-4d2f5f1d3c7e", 3.0, refused="invalid-envelope")
        outbox.close()
        return (directory / OUTBOX).read_bytes()
    finally:
        shutil.rmtree(directory)
