"""The reporters' pages: ``/``, ``/report``, ``/status`` in Persian, ``/en/…`` in English.

Thin handlers: each picks the language from the path, asks for what the page shows and
renders it. No page sets a cookie, reads a query string or stores anything in the browser.
"""

from __future__ import annotations

from litestar import Controller, HttpMethod, MediaType, Response, route
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Institution, Province
from server.errors import SedaError
from server.http import PAGE_CSP
from server.i18n import DEFAULT_LANGUAGE, supported_languages
from server.intake.controller import Intake
from server.intake.service import NotFoundError
from server.intake.trust import NotPublishedError, Trusted
from server.web.pages import Option, OptionGroup, render


async def institution_groups(session: AsyncSession, trusted: Trusted, language: str) -> list[OptionGroup]:
    """Active institutions the signed directory lists, grouped by province in table order."""
    signed = {entry.code for entry in trusted.directory.institutions}
    rows = await session.execute(
        select(Institution.code, Institution.name_fa, Institution.name_en, Province.name_fa, Province.name_en)
        .join(Province, Institution.province_id == Province.id)
        .where(Institution.active.is_(True))
        .order_by(Province.position, Institution.code)
    )
    groups: dict[str, list[Option]] = {}
    for code, name_fa, name_en, province_fa, province_en in rows.all():
        if code in signed:
            persian = language == "fa"
            groups.setdefault(province_fa if persian else province_en, []).append(
                Option(code, name_fa if persian else name_en)
            )
    return [OptionGroup(label, options) for label, options in groups.items()]


# HEAD too, for link checkers and monitors (the same headers, no body).
PAGE_METHODS = [HttpMethod.GET, HttpMethod.HEAD]
# The pages besides each language's home.
FORM_PAGES = ("report", "status", "console", "enrol")


async def _page(page: str, language: str, intake: Intake, session: AsyncSession) -> Response[str]:
    if language not in supported_languages():
        raise NotFoundError
    try:
        trusted: Trusted | None = await intake.trusted(session)
    except (NotPublishedError, SedaError):
        trusted = None  # the page explains that the service is not ready; it seals nothing
    html = render(
        page,
        language,
        root_public_key=trusted.root_public_key if trusted else None,
        institutions=await institution_groups(session, trusted, language) if trusted else [],
    )
    return Response(
        content=html,
        media_type=MediaType.HTML,
        headers={"content-security-policy": PAGE_CSP, "content-language": language},
    )


class WebController(Controller):
    """Server-rendered pages; their scripts live in ``server/static/js`` (built from web/app).

    Persian pages have no prefix (``/``, ``/report``, ``/status``); another language's pages
    are under its code (``/en``, ``/en/report``). Anything else is 404.
    """

    include_in_schema = False

    @route("/", name="web.home", http_method=PAGE_METHODS)
    async def home(
        self, intake: NamedDependency[Intake], db_session: NamedDependency[AsyncSession]
    ) -> Response[str]:
        return await _page("home", DEFAULT_LANGUAGE, intake, db_session)

    # "/console" is also the start of the console's API paths, so it needs a route of its own.
    @route("/console", name="web.console", http_method=PAGE_METHODS)
    async def console(
        self, intake: NamedDependency[Intake], db_session: NamedDependency[AsyncSession]
    ) -> Response[str]:
        return await _page("console", DEFAULT_LANGUAGE, intake, db_session)

    @route("/{name:str}", name="web.persian_page", http_method=PAGE_METHODS)
    async def persian_page_or_home(
        self,
        intake: NamedDependency[Intake],
        db_session: NamedDependency[AsyncSession],
        name: FromPath[str],
    ) -> Response[str]:
        if name in FORM_PAGES:
            return await _page(name, DEFAULT_LANGUAGE, intake, db_session)
        return await _page("home", name, intake, db_session)  # "/en": a language's home

    @route("/{lang:str}/{name:str}", name="web.page", http_method=PAGE_METHODS)
    async def page(
        self,
        intake: NamedDependency[Intake],
        db_session: NamedDependency[AsyncSession],
        lang: FromPath[str],
        name: FromPath[str],
    ) -> Response[str]:
        if name not in FORM_PAGES:
            raise NotFoundError
        return await _page(name, lang, intake, db_session)
