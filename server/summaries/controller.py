"""The summaries section of the console (``/console/api/summaries``, docs/SUMMARIES.md):
stored, signed summaries as JSON, CSV, PDF and chart images, for the units and views the
account's body may read. Every read is on the audit chain."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit import append_audit
from server.console.accounts import actor
from server.console.state import Console
from server.db.models import MonthlySummary, Officer
from server.errors import problem_responses
from server.intake.service import NotFoundError
from server.summaries import access, charts, documents, formats, labels, store
from server.summaries.build import BODY_TYPE_CODES, SPECS
from server.summaries.model import ScopeLevel, SignedSummary, Unit, View

_FOUND = ("invalid-request", "unauthorized", "forbidden", "not-found")
Language = Literal["fa", "en"]


class SummaryIndex(msgspec.Struct, frozen=True):
    """The months with summaries (newest first), the units the account may read, and whether
    it may read the full view."""

    months: list[str]
    units: list[Unit]
    full: bool


async def _read(
    session: AsyncSession,
    officer: Officer,
    *,
    month: str,
    level: ScopeLevel,
    code: str,
    view: View,
    output: str,
    now: Any,
) -> MonthlySummary:
    reach = await access.reach_of(session, officer)
    if not reach.covers(level, code, view):
        raise NotFoundError  # as for a unit with no summary: reach is not probed
    row = await store.stored(session, month, level, code, view)
    if row is None:
        raise NotFoundError
    await append_audit(
        session,
        at=now,
        actor=actor(officer),
        action="summary.read",
        subject=f"summary:{month}:{level.value}:{code}",
        details={"view": view.value, "format": output, "sha256": row.document_sha256.hex()},
    )
    return row


def _download(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


class SummaryLabels(msgspec.Struct, frozen=True):
    """The names the console shows, from the same catalogue entries as the PDF and CSV:
    each table's title, each fixed key's label, and the body types' names (the keys of the
    recipient-body and escalation tables, and both sides of a referral's ``from>to``)."""

    tables: dict[str, str]
    keys: dict[str, dict[str, str]]
    body_types: dict[str, str]


def _labels(language: str) -> SummaryLabels:
    return SummaryLabels(
        tables={spec.name: labels.table_title(spec.name, language) for spec in SPECS},
        keys={
            spec.name: {key: labels.label(spec.name, key, language) for key in spec.keys} for spec in SPECS
        },
        body_types={code: labels.label("recipient_body", code, language) for code in BODY_TYPE_CODES},
    )


class SummariesController(Controller):
    path = "/console/api/summaries"
    tags = ("console",)

    @get("/", responses=problem_responses("unauthorized", "forbidden"))
    async def index(self, console: NamedDependency[Console], request: Request[Any, Any, Any]) -> SummaryIndex:
        async with console.signed_in(request) as (session, officer):
            reach = await access.reach_of(session, officer)
            made = await session.scalars(
                select(MonthlySummary.month).distinct().order_by(MonthlySummary.month.desc())
            )
            country = await store.load_country(session)
            everyone = [country.nation, *country.provinces, *(p.unit for p in country.institutions)]
            units = [u for u in everyone if reach.covers(u.level, u.code, View.SUPPRESSED)]
            return SummaryIndex(months=list(made), units=units, full=reach.full)

    @get(
        "/labels/{language:str}", responses=problem_responses("invalid-request", "unauthorized", "forbidden")
    )
    async def names(
        self,
        *,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        language: FromPath[Language],
    ) -> SummaryLabels:
        async with console.signed_in(request) as (session, officer):
            await access.reach_of(session, officer)
        return _labels(language)

    @get("/{month:str}/{level:str}/{code:str}/{view:str}", responses=problem_responses(*_FOUND))
    async def summary(
        self,
        *,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        month: FromPath[str],
        level: FromPath[ScopeLevel],
        code: FromPath[str],
        view: FromPath[View],
    ) -> SignedSummary:
        async with console.signed_in(request) as (session, officer):
            row = await _read(
                session,
                officer,
                month=month,
                level=level,
                code=code,
                view=view,
                output="json",
                now=console.clock(),
            )
        return store.signed(row)

    @get(
        "/{month:str}/{level:str}/{code:str}/{view:str}/{output:str}/{language:str}",
        responses=problem_responses(*_FOUND),
        media_type="application/octet-stream",
    )
    async def download(
        self,
        *,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        month: FromPath[str],
        level: FromPath[ScopeLevel],
        code: FromPath[str],
        view: FromPath[View],
        output: FromPath[Literal["csv", "pdf"]],
        language: FromPath[Language],
    ) -> Response[bytes]:
        async with console.signed_in(request) as (session, officer):
            row = await _read(
                session,
                officer,
                month=month,
                level=level,
                code=code,
                view=view,
                output=output,
                now=console.clock(),
            )
        signed = store.signed(row)
        name = f"seda-summary-{month}-{level.value}-{code}-{view.value}-{language}.{output}"
        if output == "csv":
            return _download(formats.to_csv(signed, language), "text/csv; charset=utf-8", name)
        pdf = await asyncio.to_thread(documents.render_signed, signed, language)
        return _download(pdf, "application/pdf", name)

    @get(
        "/{month:str}/{level:str}/{code:str}/{view:str}/charts/{chart:str}/{language:str}",
        responses=problem_responses(*_FOUND),
        media_type="image/svg+xml",
    )
    async def chart(
        self,
        *,
        console: NamedDependency[Console],
        request: Request[Any, Any, Any],
        month: FromPath[str],
        level: FromPath[ScopeLevel],
        code: FromPath[str],
        view: FromPath[View],
        chart: FromPath[str],
        language: FromPath[Language],
    ) -> Response[bytes]:
        async with console.signed_in(request) as (session, officer):
            reach = await access.reach_of(session, officer)
            row = (
                await store.stored(session, month, level, code, view)
                if reach.covers(level, code, view)
                else None
            )
        if row is None or chart not in charts.CHARTS:
            raise NotFoundError
        svg = charts.CHARTS[chart](store.signed(row).summary, language)
        return Response(svg.encode(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
