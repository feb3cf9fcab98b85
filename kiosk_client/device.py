"""A kiosk's own files (docs/KIOSK.md): its settings, its device key, the signed directory and
policy it last verified, and its outbox. Nothing here is ever plaintext of a report, a token
or an identity.

    HOME/kiosk.json       server address, kiosk id, institution, pinned root key (hex)
    HOME/device.key       the Ed25519 device seed (mode 0600)
    HOME/directory.signed the signed directory as the server sent it (verified at each use)
    HOME/policy.signed    the signed policy, likewise
    HOME/outbox.sqlite    sealed submissions waiting to be sent (kiosk_client/outbox.py)
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import crypto

SETTINGS = "kiosk.json"
DEVICE_KEY = "device.key"
DIRECTORY = "directory.signed"
POLICY = "policy.signed"
OUTBOX = "outbox.sqlite"


class NotEnrolledError(Exception):
    """This kiosk home holds no enrolment (run ``seda-kiosk enroll``)."""


@dataclass(frozen=True)
class Enrolment:
    server: str
    kiosk_id: int
    institution: str
    root_public: bytes
    fingerprint: str


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` so that only this user can read it, durably (power may fail any time)."""
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def enrol(home: Path, http: httpx.Client, server: str, code: str, root_public: bytes) -> Enrolment:
    """Make the device key here, register it with a one-time code, keep the enrolment. The
    operator then compares the fingerprint shown with the one the console lists."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    seed = crypto.new_device_seed()
    answer = http.post(
        "/api/v1/kiosks/enrolment",
        json={"code": code, "public_key": base64.b64encode(crypto.device_public_key(seed)).decode()},
    )
    if answer.status_code != 201:
        raise NotEnrolledError(f"the server refused the enrolment ({answer.status_code})")
    enrolled = answer.json()
    kiosk_id, institution = int(enrolled["kiosk_id"]), str(enrolled["institution"])
    write_private(home / DEVICE_KEY, seed)
    settings = {
        "server": server,
        "kiosk_id": kiosk_id,
        "institution": institution,
        "root_public": root_public.hex(),
    }
    write_private(home / SETTINGS, json.dumps(settings, indent=2).encode())
    return Enrolment(server, kiosk_id, institution, root_public, str(enrolled["fingerprint"]))


@dataclass(frozen=True)
class Device:
    """An enrolled kiosk: who it is to the server, and how it signs."""

    home: Path
    server: str
    kiosk_id: int
    institution: str
    root_public: bytes
    seed: bytes

    @classmethod
    def load(cls, home: Path) -> Device:
        """The enrolment kept in ``home``; ``NotEnrolledError`` when it is missing or damaged
        (not the settings ``enrol`` writes, or keys of the wrong size), never another error."""
        try:
            settings = json.loads((home / SETTINGS).read_text(encoding="utf-8"))
            device = cls(
                home,
                str(settings["server"]),
                int(settings["kiosk_id"]),
                str(settings["institution"]),
                bytes.fromhex(settings["root_public"]),
                (home / DEVICE_KEY).read_bytes(),
            )
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            raise NotEnrolledError("this kiosk is not enrolled") from None
        if len(device.seed) != crypto.device.DEVICE_SEED_BYTES or len(device.root_public) != 32:
            raise NotEnrolledError("this kiosk is not enrolled")
        return device

    @property
    def fingerprint(self) -> str:
        return crypto.key_fingerprint(crypto.device_public_key(self.seed))

    def sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        """The headers that sign one request (the server checks the time within minutes)."""
        now = int(time.time())
        request = crypto.KioskRequest(self.kiosk_id, method, path, now, body)
        return {
            "x-seda-kiosk": str(self.kiosk_id),
            "x-seda-kiosk-time": str(now),
            "x-seda-kiosk-signature": base64.b64encode(crypto.sign_request(self.seed, request)).decode(),
        }

    def keep_documents(self, signed_directory: bytes, signed_policy: bytes) -> None:
        write_private(self.home / DIRECTORY, signed_directory)
        write_private(self.home / POLICY, signed_policy)

    def kept_documents(self) -> tuple[bytes, bytes] | None:
        try:
            return (self.home / DIRECTORY).read_bytes(), (self.home / POLICY).read_bytes()
        except OSError:
            return None
