"""The console API (``/console/api``, docs/CONSOLE.md): thin handlers over ``accounts`` and
``cases``. Each signed-in handler runs in ``Console.signed_in`` (the account checked, the
anti-forgery token for changes, refusals audited)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from routing.vocabulary import ReportStatus
from server.audit import append_audit
from server.console import accounts, cases, credentials
from server.console.schemas import (
    AssignRequest,
    AuditPage,
    BodyOfficer,
    Case,
    Closed,
    CloseRequestBody,
    Enrolled,
    EnrolmentAccount,
    EnrolmentBegin,
    EnrolmentComplete,
    EnrolmentConfirm,
    GrantRequest,
    InboxPage,
    Me,
    NewOfficer,
    NoteRequest,
    OfficerCreated,
    ReferralRequest,
    RekeyRequest,
    ReplyRequest,
    RewrapRequest,
    Salt,
    SaltRequest,
    SignedIn,
    SignIn,
    TriageRequest,
)
from server.console.state import COOKIE, Console
from server.db.models import BodyKeyGrant, Officer, OfficerRole
from server.errors import problem_responses
from server.intake.controller import Intake
from server.intake.service import NotFoundError

_T = TypeVar("_T")
_BODY = ("invalid-request", "payload-too-large")
_SIGNED = ("unauthorized", "forbidden")
_CASE = (*_SIGNED, "not-found", "not-published")
_ACT = (*_CASE, *_BODY, "conflict", "invalid-envelope", "routing-refused")


def _cookie(console: Console, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=value,
        path="/console",
        httponly=True,
        secure=console.settings.console_secure_cookie,
        samesite="strict",
        max_age=max_age,
    )


async def _act(
    console: Console, intake: Intake, session: AsyncSession, officer: Officer, report_id: uuid.UUID
) -> cases.Act:
    found = await cases.held(session, officer, report_id, lock=True)
    return cases.Act(session, officer, found, await intake.trusted(session), console.clock())


def _admin(officer: Officer) -> int:
    if officer.role != OfficerRole.BODY_ADMIN or officer.body_id is None:
        raise accounts.ForbiddenError
    return officer.body_id


async def _body_officer(session: AsyncSession, admin: Officer, officer_id: int) -> Officer:
    body_id = _admin(admin)
    target = await session.get(Officer, officer_id)
    if target is None or target.body_id != body_id:
        raise NotFoundError
    return target


async def _on_case(
    console: Console,
    intake: Intake,
    request: Request[Any, Any, Any],
    report_id: uuid.UUID,
    work: Callable[[cases.Act], Awaitable[_T]],
) -> _T:
    """A change to one case of the officer's body: signed in, anti-forgery checked, audited."""
    async with console.signed_in(request, changes=True) as (session, officer):
        return await work(await _act(console, intake, session, officer, report_id))


class ConsoleAccountController(Controller):
    """Enrolment and sign-in: nobody is signed in yet."""

    path = "/console/api"
    tags = ("console",)

    @post("/enrolment/begin", status_code=HTTP_200_OK, responses=problem_responses(*_BODY, "unauthorized"))
    async def enrolment_begin(
        self, console: NamedDependency[Console], data: JSONBody[EnrolmentBegin]
    ) -> EnrolmentAccount:
        async with console.write() as session:
            return await accounts.begin_enrolment(session, data.username, data.code, console.clock())

    @post("/enrolment/complete", status_code=HTTP_200_OK, responses=problem_responses(*_BODY, "unauthorized"))
    async def enrolment_complete(
        self, console: NamedDependency[Console], data: JSONBody[EnrolmentComplete]
    ) -> Any:
        async with console.write() as session:
            return await accounts.complete_enrolment(session, data, console.clock())

    @post("/enrolment/confirm", status_code=HTTP_200_OK, responses=problem_responses(*_BODY, "unauthorized"))
    async def enrolment_confirm(
        self, console: NamedDependency[Console], data: JSONBody[EnrolmentConfirm]
    ) -> Enrolled:
        async with console.write() as session:
            fingerprint = await accounts.confirm_enrolment(
                session, data.username, data.code, data.totp, console.clock()
            )
        return Enrolled(fingerprint)

    @post("/salt", status_code=HTTP_200_OK, responses=problem_responses(*_BODY))
    async def salt(self, console: NamedDependency[Console], data: JSONBody[SaltRequest]) -> Salt:
        async with console.write() as session:
            return Salt(await accounts.salt_for(session, data.username, await console.salt_secret(session)))

    @post(
        "/session",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(*_BODY, "unauthorized"),
    )
    async def sign_in(self, console: NamedDependency[Console], data: JSONBody[SignIn]) -> Response[SignedIn]:
        async with console.database.sessions() as session:
            stored = await accounts.stored_hash(session, data.username)
        matches = await credentials.auth_value_matches(stored, data.auth_value)
        async with console.database.write_session() as session:
            try:
                officer, cookie, csrf = await accounts.sign_in(
                    session,
                    data.username,
                    stored if matches else None,
                    data.totp,
                    now=console.clock(),
                    lifetime=console.lifetime,
                )
            except accounts.UnauthorizedError:
                await session.commit()  # the failure counts, and is audited
                raise
            info = await accounts.officer_info(session, officer)
            await session.commit()
        max_age = int(console.lifetime.total_seconds())
        return Response(
            SignedIn(csrf_token=csrf, officer=info),
            status_code=HTTP_201_CREATED,
            cookies=[_cookie(console, cookie, max_age)],
        )

    # A path of its own: Litestar's automatic OPTIONS answers only one handler's method per path.
    @post("/session/end", status_code=HTTP_204_NO_CONTENT, responses=problem_responses(*_SIGNED))
    async def sign_out(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any]
    ) -> Response[None]:
        async with console.signed_in(request, changes=True) as (session, officer):
            _, current = await accounts.signed_in(
                session, request.cookies.get(COOKIE), console.clock(), console.idle
            )
            await accounts.sign_out(session, officer, current, console.clock())
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[_cookie(console, "", 0)])


class ConsoleController(Controller):
    """The signed-in console: the officer, the inbox, cases, the body's administration."""

    path = "/console/api"
    tags = ("console",)

    @get("/me", responses=problem_responses(*_SIGNED))
    async def me(self, console: NamedDependency[Console], request: Request[Any, Any, Any]) -> Me:
        async with console.signed_in(request) as (session, officer):
            return await accounts.my_keys(session, officer, console.clock())

    @get("/inbox", responses=problem_responses(*_SIGNED, "invalid-request"))
    async def inbox(
        self,
        *,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        case_state: Annotated[ReportStatus | None, QueryParameter(name="state")] = None,
        overdue: FromQuery[bool | None] = None,
        category: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> InboxPage:
        async with console.signed_in(request) as (session, officer):
            page = await cases.inbox(
                session, officer, state=case_state, overdue=overdue, category=category, cursor=cursor
            )
            await append_audit(
                session,
                at=console.clock(),
                actor=accounts.actor(officer),
                action="inbox.listed",
                subject=f"officer:{officer.id}",
            )
            return page

    @get("/reports/{report_id:uuid}", responses=problem_responses(*_CASE))
    async def report(
        self,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
    ) -> Case:
        async with console.signed_in(request) as (session, officer):
            return await cases.case(session, officer, report_id, console.clock())

    @get(
        "/reports/{report_id:uuid}/attachments/{attachment_id:uuid}/chunks/{position:int}",
        responses=problem_responses(*_CASE),
        media_type="application/octet-stream",
    )
    async def attachment_chunk(
        self,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        position: FromPath[int],
    ) -> Response[bytes]:
        async with console.signed_in(request) as (session, officer):
            found = await cases.held(session, officer, report_id)
            chunk = await cases.attachment_chunk(session, found, attachment_id, position)
        return Response(chunk, media_type="application/octet-stream")

    @post(
        "/reports/{report_id:uuid}/acknowledge",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def acknowledge(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
    ) -> None:
        await _on_case(console, intake, request, report_id, cases.acknowledge)

    @post(
        "/reports/{report_id:uuid}/triage",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def triage(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[TriageRequest],
    ) -> None:
        await _on_case(console, intake, request, report_id, lambda act: cases.triage(act, data.triage))

    @post(
        "/reports/{report_id:uuid}/assign",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def assign(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[AssignRequest],
    ) -> None:
        await _on_case(console, intake, request, report_id, lambda act: cases.assign(act, data.officer_id))

    @post(
        "/reports/{report_id:uuid}/notes", status_code=HTTP_204_NO_CONTENT, responses=problem_responses(*_ACT)
    )
    async def note(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[NoteRequest],
    ) -> None:
        await _on_case(console, intake, request, report_id, lambda act: cases.add_note(act, data.message))

    @post(
        "/reports/{report_id:uuid}/replies",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def reply(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ReplyRequest],
    ) -> None:
        await _on_case(console, intake, request, report_id, lambda act: cases.reply(act, data))

    @post(
        "/reports/{report_id:uuid}/referrals",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def refer(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ReferralRequest],
    ) -> None:
        await _on_case(console, intake, request, report_id, lambda act: cases.refer_case(act, data))

    @post(
        "/reports/{report_id:uuid}/rewraps",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def rewrap(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[RewrapRequest],
    ) -> None:
        await _on_case(console, intake, request, report_id, lambda act: cases.rewrap(act, data))

    @post(
        "/reports/{report_id:uuid}/rekey-tag",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def retag(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[RekeyRequest],
    ) -> None:
        await _on_case(console, intake, request, report_id, lambda act: cases.retag(act, data))

    @post(
        "/reports/{report_id:uuid}/close",
        status_code=HTTP_200_OK,
        responses={
            HTTP_202_ACCEPTED: ResponseSpec(Closed, description="Waiting for a second officer's approval"),
            **problem_responses(*_ACT),
        },
    )
    async def close(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
        data: JSONBody[CloseRequestBody],
    ) -> Response[Closed]:
        done = await _on_case(
            console, intake, request, report_id, lambda act: cases.close(act, data.outcome, data.message)
        )
        state = "closed" if done else "waiting_for_approval"
        return Response(Closed(state, not done), status_code=HTTP_200_OK if done else HTTP_202_ACCEPTED)

    @post(
        "/reports/{report_id:uuid}/close/approve",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_ACT),
    )
    async def approve_close(
        self,
        console: NamedDependency[Console],
        intake: NamedDependency[Intake],
        request: Request[Any, Any, Any],
        report_id: FromPath[uuid.UUID],
    ) -> None:
        await _on_case(console, intake, request, report_id, cases.approve_close)

    # -- the body's administration --------------------------------------------------------
    @get("/body/officers", responses=problem_responses(*_SIGNED, "not-found"))
    async def body_officers(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any]
    ) -> list[BodyOfficer]:
        async with console.signed_in(request) as (session, officer):
            body_id = _admin(officer)
            granted: dict[int, list[bytes]] = {}
            for officer_id, key in await session.execute(
                select(BodyKeyGrant.officer_id, BodyKeyGrant.body_key_id)
                .where(BodyKeyGrant.body_id == body_id)
                .order_by(BodyKeyGrant.body_key_id)
            ):
                granted.setdefault(officer_id, []).append(key)
            found = await session.scalars(
                select(Officer).where(Officer.body_id == body_id).order_by(Officer.id)
            )
            return [
                BodyOfficer(
                    o.id,
                    o.username,
                    o.display_name,
                    o.role.value,
                    o.active,
                    o.enrolled_at is not None,
                    o.public_key,
                    o.id in granted,
                    granted.get(o.id, []),
                )
                for o in found
            ]

    @post(
        "/body/officers/new",  # a path of its own, as /session/end: one method per path
        status_code=HTTP_201_CREATED,
        responses=problem_responses(*_SIGNED, *_BODY, "conflict"),
    )
    async def add_officer(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any], data: JSONBody[NewOfficer]
    ) -> OfficerCreated:
        async with console.signed_in(request, changes=True) as (session, admin):
            created, code = await accounts.create_officer(
                session,
                username=data.username,
                display_name=data.display_name,
                role=OfficerRole(data.role),
                body_id=_admin(admin),
                now=console.clock(),
                by=accounts.actor(admin),
            )
            return OfficerCreated(created.id, code)

    @post(
        "/body/officers/{officer_id:int}/grant",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_SIGNED, *_BODY, "not-found"),
    )
    async def grant(
        self,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        officer_id: FromPath[int],
        data: JSONBody[GrantRequest],
    ) -> None:
        async with console.signed_in(request, changes=True) as (session, admin):
            target = await _body_officer(session, admin, officer_id)
            await accounts.store_grant(
                session, target, body_key_id=data.body_key_id, grant=data.grant, by=admin, now=console.clock()
            )

    @delete(
        "/body/officers/{officer_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(*_SIGNED, "not-found"),
    )
    async def remove_officer(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any], officer_id: FromPath[int]
    ) -> None:
        async with console.signed_in(request, changes=True) as (session, admin):
            target = await _body_officer(session, admin, officer_id)
            await accounts.deactivate(session, target, admin, console.clock())

    @get("/audit", responses=problem_responses(*_SIGNED, "invalid-request"))
    async def audit(
        self,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        before: FromQuery[int | None] = None,
    ) -> AuditPage:
        async with console.signed_in(request) as (session, admin):
            body_id = _admin(admin)
            return await cases.body_audit(session, body_id, before)
