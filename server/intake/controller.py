"""The public intake API (``/api/v1``): documents, puzzles, reports, status, follow-ups, uploads.

Thin handlers: each checks the puzzle or limit that guards it and calls one service function.
Secrets travel only in request bodies (never in a URL, which proxies and logs keep).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Litestar, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from routing.vocabulary import Channel
from server.db.lifecycle import Database
from server.db.models import Report, SlipClaim, Upload
from server.errors import SedaError, problem_responses
from server.intake import service, tracking, uploads
from server.intake.abuse import LookupLimits, PuzzleChallenge, Puzzles, PuzzleSolution
from server.intake.committer import GroupCommitter
from server.intake.schemas import (
    MAX_CHUNK_BYTES,
    MAX_UPLOAD_CHUNKS,
    FollowUpReceipt,
    FollowUpRequest,
    LookupRequest,
    Receipt,
    StatusView,
    Submission,
    UploadStart,
    UploadState,
)
from server.intake.trust import Trusted, TrustStore, earlier_key_ids
from server.kiosks import service as kiosks
from server.logging import get_logger
from server.settings import Settings


class ChannelRefusedError(SedaError):
    """A report of a channel this endpoint does not take (box letters: the console's)."""

    code = "channel-refused"


class Intake:
    """The per-process intake state: trusted documents, puzzles, limits, the clock."""

    def __init__(
        self, settings: Settings, database: Database, clock: Callable[[], datetime] | None = None
    ) -> None:
        pinned = bytes.fromhex(settings.root_public_key) if settings.root_public_key else None
        self.database = database
        self.trust = TrustStore(pinned)
        self.limits = LookupLimits(
            settings.lookup_burst, settings.lookup_per_minute, settings.failed_lookups_per_minute
        )
        self.puzzles = Puzzles(settings.puzzle_bits, database.sessions, extra_bits=self.limits.extra_bits)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.pending_upload_bytes = settings.max_pending_upload_bytes
        self.committer = GroupCommitter(database)
        self.body_codes: dict[int, str] = {}

    async def housekeeping(self, period: float = 3600.0) -> None:
        """Forever, from a minute after start: purge uploads no report took (idempotent, so
        safe in every process)."""
        await asyncio.sleep(60)
        while True:
            try:
                async with self.database.sessions() as session:
                    await uploads.purge_abandoned(session, self.clock())
            except (SQLAlchemyError, OSError):
                get_logger("seda.intake").warning("housekeeping_failed")  # retried next period
            await asyncio.sleep(period)

    @asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        """Run ``housekeeping`` while the application runs."""
        task = asyncio.create_task(self.housekeeping())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.committer.stop()

    async def trusted(self, session: AsyncSession) -> Trusted:
        return await self.trust.current(session, self.clock())

    async def trusted_now(self) -> Trusted:
        """The trusted documents, from the cache when it is fresh (no database round trip)."""
        cached = self.trust.fresh(self.clock())
        if cached is not None:
            return cached
        async with self.database.sessions() as session:
            return await self.trusted(session)

    async def sealed_under(self, trusted: Trusted, data: Submission) -> dict[str, bytes] | None:
        """The body keys of the older directory a kiosk's report was sealed under, while that
        directory is valid; None for a report of the current one."""
        if data.directory_serial >= trusted.serial:
            return None
        async with self.database.sessions() as session:
            return await earlier_key_ids(
                session, data.directory_serial, trusted.root_public_key, self.clock()
            )

    async def kiosk_signed(self, request: Request[Any, Any, Any], data: Submission) -> bool:
        """True for a report signed by an approved kiosk of its institution; False for a
        report of another channel with no kiosk signature; ``KioskRefusedError`` otherwise."""
        body = await request.body()
        async with self.database.sessions() as session:
            signer = await kiosks.signing_kiosk(
                session,
                request.headers,
                method=request.method,
                path=request.url.path,
                body=body,
                now=self.clock(),
            )
        routing = data.envelope.routing
        if routing.channel == Channel.BOX.value:
            raise ChannelRefusedError  # box letters come through the console's boxes section
        if routing.channel != Channel.KIOSK.value:
            if signer is not None:
                raise kiosks.KioskRefusedError  # a kiosk files kiosk reports only
            return False
        if signer is None or signer[1] != routing.institution:
            raise kiosks.KioskRefusedError
        return True

    async def replay(self, trusted: Trusted, data: Submission) -> Receipt | None:
        """The receipt of this very submission if it is already stored (else None)."""
        async with self.database.sessions() as session:
            return await service.existing_receipt(
                session, trusted, uuid.UUID(data.envelope.report_id), service.envelope_digest(data.envelope)
            )

    async def slip_reserved(self, verifier: bytes) -> bool:
        """Whether an unclaimed box slip holds this lookup verifier (PROTOCOL.md §13): someone
        who saw the slip's stub must not file with its token before the letter is recorded."""
        async with self.database.sessions() as session:
            found = await session.scalar(
                select(SlipClaim.claim_id).where(SlipClaim.lookup_verifier == verifier)
            )
        return found is not None

    async def admit_lookup(
        self, request: Request[Any, Any, Any], secret: bytes, solution: PuzzleSolution | None
    ) -> None:
        """Before a token look-up: the limits, then the puzzle (bound to this guess)."""
        self.limits.admit(request.client.host if request.client else "unknown")
        await self.puzzles.check(solution, "lookup", crypto.lookup_verifier(secret))

    async def find(self, session: AsyncSession, secret: bytes) -> Report:
        """The report of a lookup secret; a miss is 404 and counts as a failed guess."""
        report = await service.report_by_secret(session, secret)
        if report is None:
            self.limits.failed()
            raise service.NotFoundError
        return report


def _document(data: bytes, request: Request[Any, Any, Any]) -> Response[bytes]:
    """A signed document, or 304 when the client already holds this version (the directory is
    over a megabyte; clients revalidate instead of fetching it again)."""
    etag = f'"{crypto.encoding.sha256("etag", data).hex()[:32]}"'
    headers = {"cache-control": "no-cache", "etag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(content=b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content=data, media_type="application/json", headers=headers)


# What each handler can answer besides its success (docs/API.md, "Problem codes").
_JSON_BODY = ("invalid-request", "payload-too-large")
_LOOKUP = (*_JSON_BODY, "puzzle-failed", "too-many-requests", "not-found", "not-published")


def _signed_document(description: str) -> dict[int, ResponseSpec]:
    return {
        HTTP_200_OK: ResponseSpec(crypto.SignedDocument, description=description, generate_examples=False),
        HTTP_304_NOT_MODIFIED: ResponseSpec(None, description="The client's copy (If-None-Match) is current"),
        **problem_responses("not-published"),
    }


@dataclass
class _ChunkOperation(Operation):
    """The chunk upload's body is raw bytes, read from the request (so Litestar cannot see it)."""

    def __post_init__(self) -> None:
        chunk = Schema(
            type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, min_length=1, max_length=MAX_CHUNK_BYTES
        )
        self.request_body = RequestBody(
            content={"application/octet-stream": OpenAPIMediaType(schema=chunk)},
            description="One sealed chunk: the plaintext piece and its GCM tag.",
            required=True,
        )


class IntakeController(Controller):
    path = "/api/v1"
    tags = ("intake",)

    @get(
        "/directory",
        summary="The signed key directory",
        description="PROTOCOL.md §7; verify before use.",
        responses=_signed_document("The directory, signed by the root key"),
    )
    async def directory(
        self,
        intake: NamedDependency[Intake],
        db_session: NamedDependency[AsyncSession],
        request: Request[Any, Any, Any],
    ) -> Response[bytes]:
        return _document((await intake.trusted(db_session)).directory_signed, request)

    @get(
        "/policy",
        summary="The signed routing policy",
        description="Named by the directory.",
        responses=_signed_document("The routing policy, signed by the root key"),
    )
    async def policy(
        self,
        intake: NamedDependency[Intake],
        db_session: NamedDependency[AsyncSession],
        request: Request[Any, Any, Any],
    ) -> Response[bytes]:
        return _document((await intake.trusted(db_session)).policy_signed, request)

    @get(
        "/puzzle",
        summary="A client puzzle",
        description="PROTOCOL.md §11: solve before a submission or look-up.",
        responses=problem_responses(),
    )
    async def puzzle(self, intake: NamedDependency[Intake]) -> PuzzleChallenge:
        return await intake.puzzles.issue()

    @post(
        "/reports",
        summary="Submit a sealed report",
        status_code=HTTP_201_CREATED,
        description="Idempotent by report id: the same envelope again returns the same receipt (200).",
        responses={
            HTTP_200_OK: ResponseSpec(Receipt, description="Stored before: the same receipt again"),
            **problem_responses(
                *_JSON_BODY,
                "puzzle-failed",
                "kiosk-refused",
                "channel-refused",
                "report-id-conflict",
                "conflict",
                "stale-directory",
                "invalid-envelope",
                "routing-refused",
                "upload-incomplete",
                "not-published",
            ),
        },
    )
    async def submit(
        self, intake: NamedDependency[Intake], request: Request[Any, Any, Any], data: JSONBody[Submission]
    ) -> Response[Receipt]:
        envelope_id = uuid.UUID(data.envelope.report_id)
        trusted = await intake.trusted_now()
        if data.directory_serial > trusted.serial:  # the client saw a newer one: look now
            intake.trust.invalidate()
            trusted = await intake.trusted_now()
        try:
            # A kiosk's report needs its device's signature (and then no puzzle: an approved
            # kiosk is the limit); any other channel must not claim to be a kiosk.
            forwarded = await intake.kiosk_signed(request, data)
            if not forwarded:
                await intake.puzzles.check(data.puzzle, "submit", envelope_id.bytes)
            # Checked and routed before the write lock is taken: the lock covers the inserts only.
            sealed_under = await intake.sealed_under(trusted, data) if forwarded else None
            planned = service.plan_submission(
                trusted, data, intake.clock(), forwarded=forwarded, sealed_under=sealed_under
            )
        except SedaError:
            # A retry of a stored report still gets its receipt after its puzzle expired or the
            # directory changed (an outbox may hold it for days); it reveals only that receipt.
            replay = await intake.replay(trusted, data)
            if replay is None:
                raise
            return Response(replay, status_code=HTTP_200_OK)
        if data.lookup_verifier is not None and await intake.slip_reserved(data.lookup_verifier):
            raise service.ConflictError  # a box slip's token, kept for the letter it goes with
        receipt, created = await intake.committer.store(trusted, planned)
        return Response(receipt, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @post(
        "/status",
        summary="Status by lookup secret",
        status_code=HTTP_200_OK,
        description="The lookup secret is derived from the token on the client; the token never comes here.",
        responses=problem_responses(*_LOOKUP),
    )
    async def status(
        self,
        intake: NamedDependency[Intake],
        db_session: NamedDependency[AsyncSession],
        request: Request[Any, Any, Any],
        data: JSONBody[LookupRequest],
    ) -> StatusView:
        await intake.admit_lookup(request, data.lookup_secret, data.puzzle)
        report = await intake.find(db_session, data.lookup_secret)
        return await tracking.status_view(db_session, report, intake.body_codes)

    @post(
        "/follow-ups",
        summary="A reporter's sealed follow-up",
        status_code=HTTP_201_CREATED,
        description="With retaliation=true the case is marked and escalated per the routing policy.",
        responses=problem_responses(
            *_LOOKUP, "stale-directory", "conflict", "invalid-envelope", "routing-refused"
        ),
    )
    async def follow_up(
        self,
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        data: JSONBody[FollowUpRequest],
    ) -> FollowUpReceipt:
        await intake.admit_lookup(request, data.lookup_secret, data.puzzle)
        async with intake.database.write_session() as session:
            report = await intake.find(session, data.lookup_secret)
            trusted = await intake.trusted(session)
            return await service.follow_up(session, trusted, report, data, intake.clock())

    @post(
        "/uploads",
        summary="Announce a sealed attachment upload",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_200_OK: ResponseSpec(UploadState, description="Announced before: its state"),
            **problem_responses(*_JSON_BODY, "puzzle-failed", "conflict", "upload-incomplete"),
        },
    )
    async def start_upload(
        self, intake: NamedDependency[Intake], data: JSONBody[UploadStart]
    ) -> Response[UploadState]:
        await intake.puzzles.check(data.puzzle, "upload", uuid.UUID(data.attachment_id).bytes)
        async with intake.database.write_session() as session:
            state, created = await uploads.start(session, data, intake.clock())
        return Response(state, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get(
        "/uploads/{attachment_id:uuid}",
        summary="Which chunks of an upload the server holds",
        responses=problem_responses("invalid-request", "not-found"),
    )
    async def upload_state(
        self, db_session: NamedDependency[AsyncSession], attachment_id: FromPath[uuid.UUID]
    ) -> UploadState:
        upload = await db_session.get(Upload, attachment_id)
        if upload is None:
            raise service.NotFoundError
        return await uploads.state(db_session, upload)

    @put(
        "/uploads/{attachment_id:uuid}/chunks/{position:int}",
        summary="Upload one sealed chunk",
        description=f"Positions count from 0; an upload has at most {MAX_UPLOAD_CHUNKS} chunks.",
        status_code=HTTP_204_NO_CONTENT,
        request_max_body_size=MAX_CHUNK_BYTES,
        operation_class=_ChunkOperation,
        responses=problem_responses("invalid-request", "payload-too-large", "not-found", "conflict"),
    )
    async def put_chunk(
        self,
        intake: NamedDependency[Intake],
        attachment_id: FromPath[uuid.UUID],
        position: FromPath[int],
        request: Request[Any, Any, Any],
    ) -> None:
        # The raw body is the sealed chunk (application/octet-stream), read up to the limit.
        data = await request.body()
        async with intake.database.write_session() as session:
            await uploads.put_chunk(session, attachment_id, position, data, intake.pending_upload_bytes)
