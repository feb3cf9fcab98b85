"""Kiosk endpoints: the device enrols and asks after its state (``/api/v1/kiosks``); system
operators make, approve and revoke kiosks in the console (``/console/api/kiosks``)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.console.accounts import ForbiddenError, actor
from server.console.state import Console
from server.db.models import OfficerRole
from server.errors import problem_responses
from server.intake.controller import Intake
from server.kiosks import service
from server.kiosks.service import KioskEnrolled, KioskInfo

_BODY = ("invalid-request", "payload-too-large")
_SIGNED = ("unauthorized", "forbidden")
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class KioskEnrolment(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: Code
    public_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class KioskState(msgspec.Struct, frozen=True):
    kiosk_id: int
    institution: str
    state: str


class NewKiosk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    institution: Code
    label: Text


class KioskCreated(msgspec.Struct, frozen=True):
    kiosk_id: int
    enrolment_code: str


class Approval(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    fingerprint: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class KioskDeviceController(Controller):
    """What a kiosk device itself calls."""

    path = "/api/v1/kiosks"
    tags = ("kiosks",)

    @post(
        "/enrolment",
        summary="Enrol a kiosk's device key with a one-time code",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(*_BODY, "unauthorized"),
    )
    async def enrol(self, console: NamedDependency[Console], data: JSONBody[KioskEnrolment]) -> KioskEnrolled:
        async with console.write() as session:
            return await service.enrol_kiosk(session, data.code, data.public_key, console.clock())

    @get(
        "/me",
        summary="The signing kiosk's state (signed request)",
        responses=problem_responses("kiosk-refused"),
    )
    async def me(self, intake: NamedDependency[Intake], request: Request[Any, Any, Any]) -> KioskState:
        async with intake.database.sessions() as session:
            signer = await service.signing_kiosk(
                session, request.headers, method="GET", path=request.url.path, body=b"", now=intake.clock()
            )
        if signer is None:
            raise service.KioskRefusedError
        kiosk_id, institution = signer
        return KioskState(kiosk_id, institution, "approved")


def _operator(role: OfficerRole) -> None:
    if role != OfficerRole.OPERATOR:
        raise ForbiddenError


class KioskConsoleController(Controller):
    """The system operator's kiosk administration (no report content anywhere here)."""

    path = "/console/api/kiosks"
    tags = ("console",)

    @get("/", responses=problem_responses(*_SIGNED))
    async def list_kiosks(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any]
    ) -> list[KioskInfo]:
        async with console.signed_in(request) as (session, officer):
            _operator(officer.role)
            return await service.kiosks(session)

    @post(
        "/new",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(*_BODY, *_SIGNED, "not-found"),
    )
    async def new_kiosk(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any], data: JSONBody[NewKiosk]
    ) -> KioskCreated:
        async with console.signed_in(request, changes=True) as (session, officer):
            _operator(officer.role)
            kiosk, code = await service.create_kiosk(
                session,
                institution=data.institution,
                label=data.label,
                now=console.clock(),
                by=actor(officer),
            )
            return KioskCreated(kiosk.id, code)

    @post(
        "/{kiosk_id:int}/approve",
        status_code=HTTP_200_OK,
        responses=problem_responses(*_BODY, *_SIGNED, "not-found", "conflict", "kiosk-refused"),
    )
    async def approve(
        self,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        kiosk_id: FromPath[int],
        data: JSONBody[Approval],
    ) -> KioskInfo:
        async with console.signed_in(request, changes=True) as (session, officer):
            _operator(officer.role)
            kiosk = await service.approve_kiosk(
                session, kiosk_id, data.fingerprint, console.clock(), actor(officer)
            )
            return await service.kiosk_info(session, kiosk)

    @post(
        "/{kiosk_id:int}/revoke",
        status_code=HTTP_200_OK,
        responses=problem_responses(*_BODY, *_SIGNED, "not-found", "conflict"),
    )
    async def revoke(
        self, console: NamedDependency[Console], request: Request[Any, Any, Any], kiosk_id: FromPath[int]
    ) -> KioskInfo:
        async with console.signed_in(request, changes=True) as (session, officer):
            _operator(officer.role)
            kiosk = await service.revoke_kiosk(session, kiosk_id, console.clock(), actor(officer))
            return await service.kiosk_info(session, kiosk)
