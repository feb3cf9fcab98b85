"""The kiosk's work, shared by its touch screen and its headless commands (docs/KIOSK.md):
seal a report here with the verified directory and policy, keep it in the outbox, send it
later; look a token up; send a follow-up.

The documents come from the server when it answers (and are kept on disk as signed), else
from the kept copy; either way they are verified against the root key pinned at enrolment
before anything is sealed, so a tampered copy puts the kiosk out of service, never seals.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import msgspec

import crypto
from kiosk_client import wire
from kiosk_client.client import (
    ClientError,
    Documents,
    ReportDraft,
    SedaClient,
    Status,
    TrustError,
    UnavailableError,
)
from kiosk_client.device import OUTBOX, Device
from kiosk_client.outbox import Outbox, random_delay


@dataclass(frozen=True)
class KioskSettings:
    """Timings (seconds): the send delay is drawn from [delay_low, delay_high] per report."""

    delay_low: float = 60.0
    delay_high: float = 1800.0
    retry: float = 30.0
    inactivity: float = 90.0


class OutOfServiceError(Exception):
    """The kiosk must not seal: no verified directory and policy (tampered, expired, none)."""


@dataclass(frozen=True)
class Waiting:
    """The report of a token is still in this kiosk's outbox: sealed, not yet sent.
    ``undeliverable``: the server refused it for good (file it again)."""

    undeliverable: bool = False


# Refusals that sending the same bytes again cannot cure: the report, as sealed, will not be
# taken (the policy or the directory changed since, or the envelope is wrong). The row stays
# (nothing filed is dropped without a person deciding), is tried once a day, and the status
# screen asks the reporter to file again.
PERMANENT = frozenset(
    {"routing-refused", "invalid-envelope", "report-id-conflict", "stale-directory", "invalid-request"}
)
DAY = 24 * 3600.0


class Kiosk:
    def __init__(
        self,
        device: Device,
        http: httpx.Client,
        settings: KioskSettings | None = None,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.device = device
        self.settings = settings or KioskSettings()
        self.wall = wall
        # No retries inside a call: the outbox retries, and a person at the screen should not wait.
        self.client = SedaClient(
            http, device.root_public, retries=0, signer=device.sign, clock=lambda: datetime.now(UTC)
        )
        self.outbox = Outbox(device.home / OUTBOX)

    def close(self) -> None:
        self.outbox.close()

    # -- trust -------------------------------------------------------------------------
    def documents(self) -> Documents:
        """Verified documents: the server's if it answers (kept), else the kept copy. The kept
        copy's serial is the least the server's may have: no rolling back to an older one."""
        kept_first = self.device.kept_documents()
        if kept_first is not None and self.client.verified is None:
            with contextlib.suppress(TrustError):
                self.client.trust(*kept_first)  # sets the least serial the server's may have
        try:
            fetched: tuple[bytes, bytes] | None = self.client.fetch_documents()
        except (UnavailableError, ClientError):
            fetched = None
        try:
            if fetched is not None:
                documents = self.client.trust(*fetched)
                self.device.keep_documents(*fetched)
                return documents
            kept = self.device.kept_documents()
            if kept is None:
                raise OutOfServiceError
            return self.client.trust(*kept)
        except TrustError:
            raise OutOfServiceError from None

    # -- filing --------------------------------------------------------------------------
    def draft(
        self,
        text: str,
        *,
        report_type: str,
        category: str,
        concerns: str,
        urgency: str = "normal",
        identity: crypto.ReporterIdentity | None = None,
        language: str = "fa",
        reporter_choices: list[str] | None = None,
    ) -> ReportDraft:
        """A prisoner's report from this kiosk's institution, by the kiosk channel."""
        return ReportDraft(
            institution=self.device.institution,
            report_type=report_type,
            category=category,
            concerns=concerns,
            reporter_type="prisoner",
            channel="kiosk",
            text=text,
            urgency=urgency,
            identity=identity,
            language=language,
            reporter_choices=list(reporter_choices or []),
        )

    def file(self, draft: ReportDraft) -> crypto.TrackingToken:
        """Seal ``draft`` and keep it in the outbox; the token to show once it returns (the
        row is on disk by then, so a shown token always has its report)."""
        self.documents()
        token = crypto.new_token()
        secrets = crypto.derive_from_token(token)
        body = self.client.build_submission(draft, secrets, solve_puzzle=False)
        envelope: crypto.ReportEnvelope = body["envelope"]
        digest = hashlib.sha256(crypto.encode_envelope(envelope)).digest()
        send_after = self.wall() + random_delay(self.settings.delay_low, self.settings.delay_high)
        self.outbox.add(
            envelope.report_id, msgspec.json.encode(body), digest, body["lookup_verifier"], send_after
        )
        return token

    # -- sending -------------------------------------------------------------------------
    def send_due(self) -> list[str]:
        """Send what is due; the report ids delivered. A refusal keeps the row (nothing filed
        is ever dropped) and tries again later; an unreachable server ends the round."""
        delivered: list[str] = []
        for item in self.outbox.due(self.wall()):
            try:
                self.client.send_sealed(item.body, item.report_id, item.envelope_sha256)
            except UnavailableError:
                self.outbox.tried(item.report_id, self.wall() + self._retry())
                break
            except ClientError as error:
                later = DAY if error.code in PERMANENT else self._retry() * 10
                self.outbox.tried(item.report_id, self.wall() + later, refused=error.code)
                continue
            except (msgspec.DecodeError, msgspec.ValidationError):
                self.outbox.tried(item.report_id, self.wall() + self._retry())
                continue
            self.outbox.delivered(item.report_id)
            delivered.append(item.report_id)
        return delivered

    def _retry(self) -> float:
        return random_delay(self.settings.retry / 2, self.settings.retry * 1.5)

    # -- following -----------------------------------------------------------------------
    def status(self, token: crypto.TrackingToken) -> Status | Waiting:
        """The report's status from the server, or ``Waiting`` while it is in the outbox."""
        secrets = crypto.derive_from_token(token)
        held = self.outbox.held(crypto.lookup_verifier(secrets.lookup_secret))
        if held is not None:
            return Waiting(undeliverable=held in PERMANENT)
        self.documents()
        return self.client.status(token)

    def follow_up(
        self, token: crypto.TrackingToken, text: str, *, retaliation: bool = False, protection: bool = False
    ) -> wire.FollowUpReceipt:
        self.documents()
        return self.client.follow_up(token, text, retaliation=retaliation, protection=protection)

    def state(self) -> str:
        """The server's view of this kiosk (approved), or the refusal's code."""
        try:
            return self.client.kiosk_state()
        except ClientError as error:
            return error.code
