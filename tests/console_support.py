"""Console test support: an officer's device in Python (what web/console does in a browser),
accounts made in the database, and a clock the tests move (TOTP codes are one per step)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pyotp
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

import crypto
from server.console import accounts
from server.db.lifecycle import Database
from server.db.models import AuditEntry, Body, EscrowWrap, Officer, OfficerRole
from server.demo.keys import DemoKeys
from tests.intake_support import run_coroutine

PASSPHRASE = "a long passphrase for tests only"


class Clock:
    """A clock the test moves; each TOTP code wants a new 30-second step."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 31) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def make_account(
    url: str, username: str, role: OfficerRole, body: str | None, now: datetime | None = None
) -> str:
    """Create an account as an operator would (at ``now``); its enrolment code."""

    async def work() -> str:
        database = Database(url)
        try:
            async with database.write_session() as session:
                body_id = await session.scalar(select(Body.id).where(Body.code == body)) if body else None
                _, code = await accounts.create_officer(
                    session,
                    username=username,
                    display_name=username.title(),
                    role=role,
                    body_id=body_id,
                    now=now or datetime.now(UTC),
                    by="operator",
                )
                await session.commit()
                return code
        finally:
            await database.dispose()

    return run_coroutine(work())


def grant_demo_key(url: str, keys: DemoKeys, username: str) -> None:
    """The key ceremony's stand-in: the body's demo seed sealed to the enrolled officer."""

    async def work() -> None:
        database = Database(url)
        try:
            async with database.write_session() as session:
                officer = await session.scalar(select(Officer).where(Officer.username == username))
                assert officer is not None
                assert officer.public_key is not None
                assert officer.body_id is not None
                body = await session.get_one(Body, officer.body_id)
                seed = keys.body_seeds[body.code]
                grant = crypto.grant_body_key(
                    seed, officer.public_key, crypto.key_fingerprint(officer.public_key)
                )
                await accounts.store_grant(
                    session,
                    officer,
                    body_key_id=crypto.public_key_of(seed).key_id,
                    grant=grant,
                    by=None,
                    now=datetime.now(UTC),
                )
                await session.commit()
        finally:
            await database.dispose()

    run_coroutine(work())


@dataclass
class Device:
    """One officer at their own device: keys made and opened here, never on the server."""

    http: TestClient[Litestar] | httpx.Client
    clock: Clock
    username: str
    passphrase: str = PASSPHRASE
    totp_secret: str = ""
    csrf: str = ""
    cookie: str = ""  # each device keeps its own session (the test client's jar is shared)
    seed: bytes = b""
    body_seeds: dict[bytes, bytes] = field(default_factory=dict)
    # The body's key id in the verified directory, once a rotation gave the device two seeds.
    current_key_id: bytes | None = None

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).at(self.clock.tick())

    def enrol(self, enrolment_code: str) -> str:
        """Make keys, register them, confirm the second factor; the fingerprint."""
        begun = self.http.post(
            "/console/api/enrolment/begin", json={"username": self.username, "code": enrolment_code}
        )
        assert begun.status_code == 200, begun.text
        salt = msgspec.json.decode(begun.content)["salt"]
        secrets = crypto.derive_from_passphrase(self.passphrase, _b64(salt))
        self.seed = crypto.new_seed()
        public = crypto.public_key_of(self.seed).public_key
        completed = self.http.post(
            "/console/api/enrolment/complete",
            json={
                "username": self.username,
                "code": enrolment_code,
                "auth_value": _s(secrets.auth_value),
                "public_key": _s(public),
                "protected_seed": _s(crypto.protect_officer_seed(self.seed, secrets)),
            },
        )
        assert completed.status_code == 200, completed.text
        self.totp_secret = completed.json()["totp_secret"]
        confirmed = self.http.post(
            "/console/api/enrolment/confirm",
            json={"username": self.username, "code": enrolment_code, "totp": self.code()},
        )
        assert confirmed.status_code == 200, confirmed.text
        fingerprint: str = confirmed.json()["fingerprint"]
        assert fingerprint == crypto.key_fingerprint(public)
        return fingerprint

    def sign_in(self, passphrase: str | None = None, totp: str | None = None) -> httpx.Response:
        salt = self.http.post("/console/api/salt", json={"username": self.username}).json()["salt"]
        secrets = crypto.derive_from_passphrase(passphrase or self.passphrase, _b64(salt))
        answer = self.http.post(
            "/console/api/session",
            json={
                "username": self.username,
                "auth_value": _s(secrets.auth_value),
                "totp": totp or self.code(),
            },
        )
        if answer.status_code == 201:
            self.csrf = answer.json()["csrf_token"]
            self.cookie = answer.cookies["seda_console"]
            self.http.cookies.clear()
            self.unlock(secrets)
        return answer

    def _headers(self, **more: str) -> dict[str, str]:
        return {"cookie": f"seda_console={self.cookie}", **more} if self.cookie else more

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path, headers=self._headers())

    def unlock(self, secrets: crypto.OfficerSecrets) -> None:
        """Open the sealed seed and the body-key grants, as the page does after sign-in."""
        me = self.get("/console/api/me").json()
        public = _b64(me["public_key"])
        seed = crypto.unlock_officer_seed(_b64(me["protected_seed"]), _key_id(public), secrets)
        self.seed = seed
        self.body_seeds = {
            _b64(g["body_key_id"]): crypto.open_body_key_grant(_b64(g["grant"]), _b64(g["body_key_id"]), seed)
            for g in me["grants"]
        }

    def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        payload = body if body is not None else {}
        sent = self._headers(**{"x-csrf-token": self.csrf, **headers})
        return self.http.post(path, json=payload, headers=sent)

    def open_case(self, report_id: str) -> tuple[dict[str, Any], crypto.ReportEnvelope, crypto.OpenedReport]:
        case = self.get(f"/console/api/reports/{report_id}")
        assert case.status_code == 200, case.text
        data = case.json()
        envelope = crypto.decode_envelope(msgspec.json.encode(data["envelope"]))
        wrap = crypto.RecipientWrap(
            key_id=_b64(data["wrap"]["key_id"]), wrapped=_b64(data["wrap"]["wrapped"])
        )
        seed = self.body_seeds[wrap.key_id]
        return data, envelope, crypto.open_report(envelope, seed, wrap)

    def body_public(self) -> bytes:
        """The body key new messages are sealed to: the current one (after a rotation the
        device holds the old and the new seed)."""
        if self.current_key_id is not None:
            return crypto.public_key_of(self.body_seeds[self.current_key_id]).public_key
        (seed,) = self.body_seeds.values()
        return crypto.public_key_of(seed).public_key

    def retag(self, report_id: str) -> httpx.Response:
        """After a rotation, vouch for the body's current key with a re-tag made here with the
        report's thread key (what web/console/case.mjs ``retagAfterRotation`` does)."""
        assert self.current_key_id is not None
        _, envelope, opened = self.open_case(report_id)
        assert opened.payload.thread_key is not None
        tag = crypto.rekey_tag(opened.payload.thread_key, envelope.context(), self.current_key_id)
        body = {"key_id": _s(self.current_key_id), "tag": _s(tag)}
        return self.post(f"/console/api/reports/{report_id}/rekey-tag", body)

    def seal(
        self,
        kind: str,
        envelope: crypto.ReportEnvelope,
        opened: crypto.OpenedReport,
        text: str,
        also: list[bytes] | None = None,
    ) -> dict[str, Any]:
        """A reply (to the reporter and this body) or a note (to this body), sealed here."""
        recipients = [self.body_public(), *(also or [])]
        if kind == "reply":
            assert envelope.reporter_key is not None
            recipients.insert(0, envelope.reporter_key)
        assert opened.payload.thread_key is not None
        message = crypto.seal_message(
            kind=kind,  # type: ignore[arg-type]
            report_id=envelope.report_id,
            message_id=str(uuid.uuid4()),
            body=crypto.MessageBody(text=text),
            recipients=recipients,
            thread_key=opened.payload.thread_key,
        )
        return msgspec.to_builtins(message)  # type: ignore[no-any-return]


def _s(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def _key_id(public: bytes) -> bytes:
    from crypto.primitives import key_id

    return key_id(public)


def audit_trail(url: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every audit entry, oldest first: (actor, action, subject, details)."""

    async def work() -> list[tuple[str, str, str, dict[str, Any]]]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                entries = await session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
                return [(e.actor, e.action, e.subject, json.loads(e.details)) for e in entries]
        finally:
            await database.dispose()

    return run_coroutine(work())


def escrow_targets(url: str) -> list[tuple[str, bool]]:
    """The bodies holding an escrowed wrap, and whether each still waits for its deadline."""

    async def work() -> list[tuple[str, bool]]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                rows = await session.execute(
                    select(Body.code, EscrowWrap.released_hour.is_(None)).join(
                        Body, Body.id == EscrowWrap.body_id
                    )
                )
                return [(code, waiting) for code, waiting in rows.all()]
        finally:
            await database.dispose()

    return run_coroutine(work())
