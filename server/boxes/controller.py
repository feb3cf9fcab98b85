"""The boxes section of the console (``/console/api/boxes``, docs/BOXES.md): thin handlers
over ``boxes.service``. Letters arrive sealed by the transcriber's browser; nothing here
reads their content."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.audit import append_audit
from server.boxes import documents, service
from server.boxes.service import BoxInfo, LetterReceipt, NewOpening, OpeningInfo, SlipView
from server.console.accounts import actor
from server.console.state import Console
from server.errors import problem_responses
from server.intake.controller import Intake
from server.intake.schemas import Submission

_BODY = ("invalid-request", "payload-too-large")
_SIGNED = ("unauthorized", "forbidden")
_FOUND = (*_SIGNED, "not-found")


class ClaimLookup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    claim_id: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class NewLetter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A transcribed letter, sealed as a report of channel "box"; ``claim_id`` when the letter
    came with a slip's claim code (PROTOCOL.md §13)."""

    submission: Submission
    claim_id: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)] | None = None


class CountCorrection(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    letter_count: int


class MinutesRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    language: Annotated[str, msgspec.Meta(pattern="^(fa|en)$")] = "fa"


class MinutesMade(msgspec.Struct, frozen=True):
    opening_id: str
    minutes_sha256: bytes


class BoxesController(Controller):
    path = "/console/api/boxes"
    tags = ("console",)

    @get("/", responses=problem_responses(*_SIGNED))
    async def list_boxes(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any]
    ) -> list[BoxInfo]:
        async with console.signed_in(request) as (session, officer):
            scope = await service.scope_of(session, officer)
            return await service.boxes(session, scope, console.clock())

    @post(
        "/{box_id:int}/openings",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(*_BODY, *_FOUND, "conflict", "box-refused"),
    )
    async def open_box(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        box_id: FromPath[int],
        data: JSONBody[NewOpening],
    ) -> OpeningInfo:
        async with console.signed_in(request, changes=True) as (session, officer):
            scope = await service.scope_of(session, officer)
            opening = await service.open_box(session, officer, scope, box_id, data, now=console.clock())
            await session.flush()
            return await service.opening_info(session, await intake.trusted(session), scope, opening.id)

    @get("/openings/{opening_id:uuid}", responses=problem_responses(*_FOUND, "not-published"))
    async def opening(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        opening_id: FromPath[uuid.UUID],
    ) -> OpeningInfo:
        async with console.signed_in(request) as (session, officer):
            scope = await service.scope_of(session, officer)
            return await service.opening_info(session, await intake.trusted(session), scope, opening_id)

    @post("/claims", status_code=HTTP_200_OK, responses=problem_responses(*_BODY, *_FOUND))
    async def claim(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any], data: JSONBody[ClaimLookup]
    ) -> SlipView:
        """The record of an unused slip, found by the claim id derived from its claim code on the
        transcriber's device (the claim code itself never comes here)."""
        async with console.signed_in(request, changes=True) as (session, officer):
            scope = await service.scope_of(session, officer)
            view = await service.slip_for_claim(session, scope, data.claim_id)
            # Handing out a slip's sealed thread key is a key fetch: on the chain, like any.
            await append_audit(
                session, at=console.clock(), actor=actor(officer), action="slip.fetched", subject="slip"
            )
            return view

    @post(
        "/openings/{opening_id:uuid}/letters",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(
            *_BODY,
            *_FOUND,
            "conflict",
            "slip-used",
            "report-id-conflict",
            "stale-directory",
            "invalid-envelope",
            "box-refused",
            "routing-refused",
            "upload-incomplete",
            "not-published",
        ),
    )
    async def add_letter(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        opening_id: FromPath[uuid.UUID],
        data: JSONBody[NewLetter],
    ) -> LetterReceipt:
        async with console.signed_in(request, changes=True) as (session, officer):
            scope = await service.scope_of(session, officer)
            return await service.add_letter(
                session,
                await intake.trusted(session),
                officer,
                scope,
                opening_id,
                submission=data.submission,
                claim_id=data.claim_id,
                now=console.clock(),
            )

    @post(
        "/openings/{opening_id:uuid}/count",
        status_code=HTTP_200_OK,
        responses=problem_responses(*_BODY, *_FOUND, "conflict", "box-refused", "not-published"),
    )
    async def correct_count(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        opening_id: FromPath[uuid.UUID],
        data: JSONBody[CountCorrection],
    ) -> OpeningInfo:
        """Correct a miscounted opening (never below the letters already recorded; audited)."""
        async with console.signed_in(request, changes=True) as (session, officer):
            scope = await service.scope_of(session, officer)
            await service.correct_count(
                session, officer, scope, opening_id, letter_count=data.letter_count, now=console.clock()
            )
            await session.flush()
            return await service.opening_info(session, await intake.trusted(session), scope, opening_id)

    @post(
        "/openings/{opening_id:uuid}/close",
        status_code=HTTP_200_OK,
        responses=problem_responses(*_BODY, *_FOUND, "conflict", "not-published"),
    )
    async def close(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        opening_id: FromPath[uuid.UUID],
        data: JSONBody[MinutesRequest],
    ) -> MinutesMade:
        """Make the minutes of a fully transcribed opening and close it. The PDF is laid out
        outside the write lock; the opening is closed only if nothing changed meanwhile."""
        async with console.signed_in(request) as (session, officer):
            scope = await service.scope_of(session, officer)
            made = await service.made_minutes(session, scope, opening_id)
            if made is not None:  # a retry after a lost answer: the recorded minutes' hash
                return MinutesMade(str(opening_id), made)
            facts = await service.minutes_facts(
                session, await intake.trusted(session), scope, opening_id, data.language
            )
        pdf = await asyncio.to_thread(documents.render_minutes, facts, data.language)
        async with console.signed_in(request, changes=True) as (session, officer):
            scope = await service.scope_of(session, officer)
            digest = await service.close_opening(
                session,
                officer,
                scope,
                opening_id,
                minutes=pdf,
                letters=len(facts.letters),
                now=console.clock(),
            )
            return MinutesMade(str(opening_id), digest)

    @get(
        "/openings/{opening_id:uuid}/minutes",
        media_type="application/pdf",
        responses=problem_responses(*_FOUND),
    )
    async def minutes(
        self,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        opening_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        async with console.signed_in(request) as (session, officer):
            scope = await service.scope_of(session, officer)
            pdf = await service.minutes_of(session, scope, opening_id)
            await append_audit(
                session,
                at=console.clock(),
                actor=actor(officer),
                action="box.minutes.read",
                subject=f"opening:{opening_id}",
            )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="minutes-{opening_id}.pdf"'},
        )
