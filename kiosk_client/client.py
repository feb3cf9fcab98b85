"""The Python client of the intake API: used by the kiosk, the ``seda report`` CLI, tests and
benchmarks.

Everything secret happens here, on the reporter's side: the token is made and stretched,
the recipients are decided with ``routing`` from a directory verified against the pinned
root key, and the report is sealed with ``crypto``. The server gets ciphertext, routing
metadata, a lookup verifier, and (for status) the lookup secret — never the token.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import msgspec

import crypto
from crypto import puzzle
from crypto.directory import decode_signed
from kiosk_client import wire
from routing.decide import (
    Directory,
    RoutingDecision,
    directory_from_signed,
    escalation_targets,
    facts_from_metadata,
    route,
)
from routing.policy import Policy, load_signed_policy

_T = TypeVar("_T")
# A kiosk's device: (method, path, body) -> the headers that sign the request.
Signer = Callable[[str, str, bytes], dict[str, str]]
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})


class ClientError(Exception):
    """The server refused a request; ``code`` is its problem code (never secret data)."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(f"the server refused the request: {code} ({status})")
        self.code = code
        self.status = status


class UnavailableError(ClientError):
    """The server could not be reached (status 0) or stayed busy (429, 5xx) through every retry."""


class OutcomeUnknownError(Exception):
    """No answer came for a submission: it may or may not be stored. ``token`` is the token
    it was sealed with — show it, so the reporter can check with it later."""

    def __init__(self, token: crypto.TrackingToken) -> None:
        super().__init__("the submission's outcome is unknown: check its status with the token")
        self.token = token


class TrustError(Exception):
    """The directory or policy did not verify against the pinned root key: seal nothing."""


@dataclass(frozen=True)
class Attachment:
    name: str
    media_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ReportDraft:
    """What a reporter fills in. ``identity`` None means anonymous."""

    institution: str
    report_type: str
    category: str
    concerns: str
    reporter_type: str
    channel: str
    text: str = field(repr=False)
    urgency: str = "normal"
    fields: dict[str, str] = field(default_factory=dict, repr=False)
    identity: crypto.ReporterIdentity | None = field(default=None, repr=False)
    attachments: list[Attachment] = field(default_factory=list, repr=False)
    reporter_choices: list[str] = field(default_factory=list)
    language: str = "fa"


@dataclass(frozen=True)
class Submitted:
    token: crypto.TrackingToken = field(repr=False)
    receipt: wire.Receipt


@dataclass(frozen=True)
class Reply:
    at_hour: datetime
    body: str | None
    text: str | None = field(repr=False)  # None: it did not open or authenticate (forged?)


@dataclass(frozen=True)
class Status:
    view: wire.StatusView
    replies: list[Reply]


@dataclass(frozen=True)
class Documents:
    serial: int
    directory: crypto.KeyDirectory
    routing: Directory
    policy: Policy

    def public_key(self, body: str) -> bytes:
        for entry in self.directory.bodies:
            if entry.body == body:
                return entry.public_key
        raise TrustError("a recipient is not in the signed directory")


class SlipSecrets(msgspec.Struct, frozen=True):
    """What a transcriber's device seals a box letter with when a slip came with it
    (PROTOCOL.md §13): the slip's verifier and reply key, and the thread key it opened."""

    lookup_verifier: bytes
    reporter_public_key: bytes
    thread_key: bytes

    def __repr__(self) -> str:
        return "SlipSecrets(<hidden>)"


def _verifier_of(secrets: crypto.TokenSecrets | SlipSecrets | None) -> bytes | None:
    if secrets is None:
        return None
    if isinstance(secrets, SlipSecrets):
        return secrets.lookup_verifier
    return crypto.lookup_verifier(secrets.lookup_secret)


class SedaClient:
    """A client of one Sedā server, pinned to one root public key."""

    def __init__(
        self,
        http: httpx.Client,
        root_public: bytes,
        *,
        retries: int = 6,
        backoff: float = 0.2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        signer: Signer | None = None,
    ) -> None:
        self.http = http
        self.signer = signer
        self.root_public = root_public
        self.retries = retries
        self.backoff = backoff
        self.clock = clock
        self.sleep = sleep
        self.min_serial = 1
        self._documents: Documents | None = None

    @property
    def verified(self) -> Documents | None:
        """The documents verified last (None before the first)."""
        return self._documents

    # -- transport ---------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        media_type: str = "application/octet-stream",
        signed: bool = False,
    ) -> httpx.Response:
        """One request, retried on network failures, 429 and 5xx; the same body each time,
        which is safe because every write is idempotent by a client-made id. ``signed``: a
        kiosk's device signs it (each attempt anew, with the time of that attempt)."""
        body = content if content is not None else (msgspec.json.encode(json) if json is not None else b"")
        kind = media_type if content is not None else "application/json"
        for attempt in range(self.retries + 1):
            headers = {"content-type": kind}
            if signed and self.signer is not None:
                headers |= self.signer(method, path, body)
            try:
                response = self.http.request(method, path, content=body or None, headers=headers)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code < 500 and response.status_code != 429:
                if response.status_code >= 400:
                    problem = _problem(response)
                    raise ClientError(problem.code, response.status_code)
                return response
            if attempt == self.retries:
                break
            self.sleep(_retry_delay(response, self.backoff * 2**attempt))
        if response is None:
            raise UnavailableError("unreachable", 0)
        raise UnavailableError(_problem(response).code, response.status_code)

    def _get(self, path: str, kind: type[_T]) -> _T:
        return decode_answer(self._call("GET", path).content, kind)

    def _post(self, path: str, body: dict[str, Any], kind: type[_T]) -> _T:
        return decode_answer(self._call("POST", path, json=body).content, kind)

    def _post_solved(
        self, path: str, body: dict[str, Any], purpose: str, subject: bytes, kind: type[_T]
    ) -> _T:
        """Post ``body`` (which carries a solved puzzle); if the server found the puzzle too
        easy or stale meanwhile (its difficulty rises under attack), solve a new one once."""
        try:
            return self._post(path, body, kind)
        except ClientError as error:
            if error.code != "puzzle-failed":
                raise
        return self._post(path, {**body, "puzzle": self._solve(purpose, subject)}, kind)

    def _solve(self, purpose: str, subject: bytes) -> dict[str, bytes] | None:
        challenge = self._get("/api/v1/puzzle", wire.Puzzle)
        if challenge.bits == 0:
            return None
        nonce = puzzle.solve(challenge.challenge, challenge.bits, purpose, subject)
        return {"challenge": challenge.challenge, "nonce": nonce}

    # -- trust ---------------------------------------------------------------------------
    def documents(self, *, refresh: bool = False) -> Documents:
        """The directory and policy, verified against the pinned root key (cached)."""
        if self._documents is not None and not refresh:
            return self._documents
        return self.trust(*self.fetch_documents())

    def fetch_documents(self) -> tuple[bytes, bytes]:
        """The signed directory and policy as the server sends them (not yet verified)."""
        return self._call("GET", "/api/v1/directory").content, self._call("GET", "/api/v1/policy").content

    def trust(self, signed_directory: bytes, signed_policy: bytes) -> Documents:
        """Verify a signed directory and policy (fetched now, or kept by a kiosk) against the
        pinned root key and use them; ``TrustError`` if they do not verify or have expired."""
        try:
            directory = crypto.verify_directory(
                decode_signed(signed_directory),
                self.root_public,
                now=self.clock(),
                min_serial=self.min_serial,
            )
            policy = load_signed_policy(decode_signed(signed_policy), self.root_public, directory.policy)
        except Exception:  # noqa: BLE001 (whatever is wrong with them, they are not trusted)
            raise TrustError("the directory or policy does not verify against the pinned root key") from None
        self.min_serial = directory.serial  # never accept an older one again
        self._documents = Documents(directory.serial, directory, directory_from_signed(directory), policy)
        return self._documents

    # -- submitting ----------------------------------------------------------------------
    def submit(self, draft: ReportDraft) -> Submitted:
        """Seal and submit a report; returns its token (show it to the reporter) and receipt.

        If the server's directory changed meanwhile, starts again with the new one.
        """
        token = crypto.new_token()
        secrets = crypto.derive_from_token(token)
        for _ in range(3):
            try:
                return Submitted(token, self._submit_once(draft, token, secrets))
            except ClientError as error:
                if error.code != "stale-directory":
                    raise
                self.documents(refresh=True)
        raise UnavailableError("stale-directory", 409)

    def send_sealed(self, body: bytes, report_id: str, envelope_sha256: bytes) -> wire.Receipt:
        """Send a submission sealed earlier (a kiosk's outbox keeps ``body``, its JSON), signed
        by the kiosk's device. ``OutcomeUnknownError`` is not raised: the caller keeps ``body``
        and sends it again until a receipt for this very envelope comes back."""
        receipt = decode_answer(
            self._call(
                "POST", "/api/v1/reports", content=body, media_type="application/json", signed=True
            ).content,
            wire.Receipt,
        )
        if receipt.report_id != report_id or receipt.envelope_sha256 != envelope_sha256:
            raise UnavailableError("receipt-mismatch", 0)  # an answer, but not for this report
        return receipt

    def kiosk_state(self) -> str:
        """The signing kiosk's state as the server sees it (``ClientError`` when refused)."""
        answer = self._call("GET", "/api/v1/kiosks/me", signed=True)
        return str(msgspec.json.decode(answer.content)["state"])

    def decide(self, draft: ReportDraft) -> RoutingDecision:
        """The recipients of ``draft`` under the verified policy and directory."""
        docs = self.documents()
        facts = facts_from_metadata(_routing_of(draft), self.clock())
        return route(facts, docs.policy, docs.routing, draft.reporter_choices)

    def _submit_once(
        self, draft: ReportDraft, token: crypto.TrackingToken, secrets: crypto.TokenSecrets
    ) -> wire.Receipt:
        body = self.build_submission(draft, secrets)
        envelope: crypto.ReportEnvelope = body["envelope"]
        subject = uuid.UUID(envelope.report_id).bytes
        try:
            receipt = self._post_solved("/api/v1/reports", body, "submit", subject, wire.Receipt)
        except (UnavailableError, msgspec.DecodeError, msgspec.ValidationError):
            raise OutcomeUnknownError(token) from None  # sent, maybe stored, never answered
        digest = hashlib.sha256(crypto.encode_envelope(envelope)).digest()
        if receipt.report_id != envelope.report_id or receipt.envelope_sha256 != digest:
            raise OutcomeUnknownError(token)  # an answer, but not for this report
        return receipt

    def build_submission(
        self,
        draft: ReportDraft,
        secrets: crypto.TokenSecrets | SlipSecrets | None,
        *,
        solve_puzzle: bool = True,
    ) -> dict[str, Any]:
        """Route, upload the attachments and seal: the body of ``POST /api/v1/reports`` (or,
        without a puzzle, of a box letter). ``secrets``: a token's, a slip's (PROTOCOL.md §13),
        or None for a report no one can track (a box letter without a slip)."""
        docs = self.documents()
        decision = self.decide(draft)
        publics = [docs.public_key(r.body) for r in decision.recipients]
        with_identity = [docs.public_key(r.body) for r in decision.recipients if r.identity]
        routing = _routing_of(draft)
        report_id = str(uuid.uuid4())
        reporter_public = None if secrets is None else secrets.reporter_public_key
        thread_key = None if secrets is None else secrets.thread_key
        keys = crypto.new_report_keys(with_identity=draft.identity is not None)
        context = crypto.report_context(
            report_id=report_id,
            routing=routing,
            recipients=publics,
            reporter_public_key=reporter_public,
            with_identity=draft.identity is not None,
        )
        refs = [self._upload(keys, context, attachment) for attachment in draft.attachments]
        payload = crypto.ReportPayload(
            text=draft.text,
            fields=draft.fields,
            attachments=refs,
            language=draft.language,
            thread_key=thread_key,
        )
        envelope, _ = crypto.seal_report(
            report_id=report_id,
            routing=routing,
            payload=payload,
            recipients=publics,
            reporter_public_key=reporter_public,
            identity=draft.identity,
            identity_recipients=with_identity,
            keys=keys,
        )
        escrow = self.escrow(decision, envelope, keys)
        escrowed = [item["wrap"].key_id for item in escrow]
        context = envelope.context()
        return {
            "envelope": envelope,
            "directory_serial": docs.serial,
            "reporter_choices": draft.reporter_choices,
            "lookup_verifier": _verifier_of(secrets),
            "attachments": [ref.attachment_id for ref in refs],
            "puzzle": self._solve("submit", uuid.UUID(report_id).bytes) if solve_puzzle else None,
            "thread_tag": None if thread_key is None else crypto.thread_tag(thread_key, context),
            "escrow": escrow,
            "escrow_tag": (
                crypto.escrow_tag(thread_key, context, escrowed) if escrow and thread_key else None
            ),
        }

    def escrow(
        self, decision: RoutingDecision, envelope: crypto.ReportEnvelope, keys: crypto.ReportKeys
    ) -> list[dict[str, Any]]:
        """The report's keys wrapped, as for a referral, to every body an escalation would
        reach first (PROTOCOL.md §3.7), the identity key only to those routing allows it."""
        docs = self.documents()
        facts = facts_from_metadata(envelope.routing, self.clock())
        return [
            {
                "body": target.body,
                "wrap": crypto.rewrap_for_referral(
                    envelope, keys, docs.public_key(target.body), target.identity
                ),
            }
            for target in escalation_targets(decision.recipients, facts, docs.routing)
        ]

    def _upload(
        self, keys: crypto.ReportKeys, context: bytes, attachment: Attachment
    ) -> crypto.AttachmentRef:
        attachment_id = str(uuid.uuid4())
        chunks = crypto.seal_chunks(crypto.attachment_key(keys, context, attachment_id), attachment.data)
        digest = crypto.stream_digest(chunks)
        start = {
            "attachment_id": attachment_id,
            "chunks": len(chunks),
            "sha256": digest,
            "chunk_sha256": [hashlib.sha256(chunk).digest() for chunk in chunks],
            "puzzle": self._solve("upload", uuid.UUID(attachment_id).bytes),
        }
        subject = uuid.UUID(attachment_id).bytes
        state = self._post_solved("/api/v1/uploads", start, "upload", subject, wire.UploadState)
        self.resume_upload(state, chunks)
        return crypto.AttachmentRef(
            attachment_id=attachment_id,
            name=attachment.name,
            media_type=attachment.media_type,
            size=len(attachment.data),
            chunks=len(chunks),
            sha256=digest,
        )

    def resume_upload(self, state: wire.UploadState, chunks: list[bytes]) -> None:
        """Send the chunks the server does not hold yet (after an interruption too)."""
        held = set(state.received)
        for position, chunk in enumerate(chunks):
            if position not in held:
                self._call("PUT", f"/api/v1/uploads/{state.attachment_id}/chunks/{position}", content=chunk)

    # -- tracking ------------------------------------------------------------------------
    def _lookup(self, path: str, secrets: crypto.TokenSecrets, body: dict[str, Any], kind: type[_T]) -> _T:
        verifier = crypto.lookup_verifier(secrets.lookup_secret)
        return self._post_solved(path, {**body, **self._lookup_body(secrets)}, "lookup", verifier, kind)

    def _lookup_body(self, secrets: crypto.TokenSecrets) -> dict[str, Any]:
        verifier = crypto.lookup_verifier(secrets.lookup_secret)
        return {"lookup_secret": secrets.lookup_secret, "puzzle": self._solve("lookup", verifier)}

    def status(self, token: crypto.TrackingToken | str) -> Status:
        """Status, deadlines and replies (opened and authenticated on this device)."""
        secrets = crypto.derive_from_token(_parse(token))
        view = self._lookup("/api/v1/status", secrets, {}, wire.StatusView)
        replies = [
            Reply(item.at_hour, item.body, _open_reply(item.message, secrets, view.report_id))
            for item in view.replies
        ]
        return Status(view, replies)

    def follow_up(
        self,
        token: crypto.TrackingToken | str,
        text: str,
        *,
        retaliation: bool = False,
        protection: bool = False,
    ) -> wire.FollowUpReceipt:
        """Send a follow-up to the report's bodies; with ``retaliation`` also to the bodies
        the policy adds for retaliation (the server checks the same decision); with
        ``protection`` the reporter asks for protection (material, moral or judicial)."""
        secrets = crypto.derive_from_token(_parse(token))
        view = self._lookup("/api/v1/status", secrets, {}, wire.StatusView)
        bodies = self.follow_up_bodies(view, secrets, retaliation=retaliation)
        docs = self.documents()
        flags = {"retaliation": retaliation, "protection": protection}
        message = crypto.seal_message(
            kind="follow-up",
            report_id=view.report_id,
            message_id=str(uuid.uuid4()),
            body=crypto.MessageBody(text=text, fields={name: "yes" for name, on in flags.items() if on}),
            recipients=[docs.public_key(body) for body in bodies],
            thread_key=secrets.thread_key,
        )
        body = {"message": message, "directory_serial": docs.serial, **flags}
        return self._lookup("/api/v1/follow-ups", secrets, body, wire.FollowUpReceipt)

    def follow_up_bodies(
        self, view: wire.StatusView, secrets: crypto.TokenSecrets, *, retaliation: bool
    ) -> list[str]:
        """The bodies a follow-up may be sealed to, checked with the thread key — never taken
        on the server's word (PROTOCOL.md §3.6-3.7): the report's initial recipients, whose key
        ids the reporter's own tag covers, the bodies routing adds for retaliation, bodies
        listed with a valid referral tag or re-tag (after a key rotation) for their key, and
        bodies whose keys the reporter's escrow tag covers. ``TrustError`` if the server's
        answer does not hold up."""
        header = view.header
        if (
            header is None
            or view.thread_tag is None
            or header.report_id != view.report_id
            or header.reporter_key_id != crypto.public_key_of(secrets.reporter_seed).key_id
            or not crypto.check_thread_tag(secrets.thread_key, header, view.thread_tag)
        ):
            raise TrustError("the server's account of this report does not match the reporter's tag")
        docs = self.documents()
        key_ids = {e.body: e.key_id for e in docs.directory.bodies}
        initial = {body for body, key in key_ids.items() if key in set(header.recipient_key_ids)}
        vouched = initial | _referred(view, header, secrets.thread_key, key_ids)
        vouched |= _rekeyed(view, header, secrets.thread_key, key_ids)
        vouched |= _escrowed(view, header, secrets.thread_key, key_ids)
        for_retaliation: set[str] = set()
        if retaliation or view.retaliation:
            facts = facts_from_metadata(header.routing, view.received_hour, retaliation=True)
            for_retaliation = {r.body for r in route(facts, docs.policy, docs.routing).recipients}
        listed = {item.body for item in view.recipients}
        if not listed <= vouched | for_retaliation:
            raise TrustError("the server lists a recipient this device cannot verify")
        if not initial <= listed:
            raise TrustError("the server leaves out a body the report was sealed to")
        # A new retaliation report goes at once to the bodies the server adds for it too.
        return sorted(listed | (for_retaliation if retaliation and not view.retaliation else set()))


def _referred(
    view: wire.StatusView, header: crypto.EnvelopeHeader, thread_key: bytes, key_ids: dict[str, bytes]
) -> set[str]:
    """Listed bodies whose referral tag (made with the thread key) names their directory key."""
    return {
        item.body
        for item in view.recipients
        if item.referral_tag is not None
        and item.body in key_ids
        and crypto.check_referral_tag(thread_key, header, key_ids[item.body], item.referral_tag)
    }


def _rekeyed(
    view: wire.StatusView, header: crypto.EnvelopeHeader, thread_key: bytes, key_ids: dict[str, bytes]
) -> set[str]:
    """Listed bodies whose re-tag (made with the thread key after a key rotation, §6.1) names
    their key in this device's verified directory."""
    return {
        item.body
        for item in view.recipients
        if item.rekey_tag is not None
        and item.body in key_ids
        and crypto.check_rekey_tag(thread_key, header, key_ids[item.body], item.rekey_tag)
    }


def _escrowed(
    view: wire.StatusView, header: crypto.EnvelopeHeader, thread_key: bytes, key_ids: dict[str, bytes]
) -> set[str]:
    """Bodies whose directory keys the reporter's own escrow tag covers (an escalation may add them)."""
    tag = view.escrow_tag
    if tag is None or not crypto.check_escrow_tag(thread_key, header, view.escrow_key_ids, tag):
        return set()
    escrowed = set(view.escrow_key_ids)
    return {body for body, key in key_ids.items() if key in escrowed}


def _routing_of(draft: ReportDraft) -> crypto.RoutingMetadata:
    return crypto.RoutingMetadata(
        institution=draft.institution,
        report_type=draft.report_type,
        category=draft.category,
        concerns=draft.concerns,
        reporter_type=draft.reporter_type,
        channel=draft.channel,
        urgency=draft.urgency,
    )


def _parse(token: crypto.TrackingToken | str) -> crypto.TrackingToken:
    return token if isinstance(token, crypto.TrackingToken) else crypto.parse_token(token)


def _open_reply(message: crypto.SealedMessage, secrets: crypto.TokenSecrets, report_id: str) -> str | None:
    if message.kind != "reply" or message.report_id != report_id:
        return None
    try:
        return crypto.open_message(message, secrets.reporter_seed, secrets.thread_key).text
    except crypto.OpenError:
        return None


def decode_answer(content: bytes, kind: type[_T]) -> _T:
    """A server's answer as ``kind``; ``msgspec.DecodeError`` or ``ValidationError`` when it is
    not one. (msgspec reports invalid UTF-8 inside a string as ``UnicodeDecodeError``, which
    the callers, catching msgspec's errors, would let through: a hostile server's answer
    stopped the kiosk's sending loop.)"""
    try:
        return msgspec.json.decode(content, type=kind)
    except UnicodeDecodeError:
        raise msgspec.DecodeError("malformed answer") from None


def _problem(response: httpx.Response) -> wire.Problem:
    try:
        return decode_answer(response.content, wire.Problem)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return wire.Problem(code="unknown", status=response.status_code)


def _retry_delay(response: httpx.Response | None, fallback: float) -> float:
    if response is not None:
        try:
            return min(30.0, float(response.headers.get("retry-after", "")))
        except ValueError:
            pass
    return min(30.0, fallback) * (0.5 + int.from_bytes(os.urandom(1), "big") / 255)
