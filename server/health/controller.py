"""``/healthz``: the process answers and the database takes a query."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, HttpMethod, route
from litestar.di import NamedDependency
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ServiceUnavailableError, problem_responses


class Health(msgspec.Struct, frozen=True):
    """Health of the process and its database."""

    status: Literal["ok"]
    database: Literal["ok"]


class HealthController(Controller):
    path = "/healthz"
    tags = ("operations",)

    @route(
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        summary="Health check",
        description="200 when the database answers; 503 problem otherwise. HEAD for probes.",
        responses=problem_responses(),
    )
    async def health(self, db_session: NamedDependency[AsyncSession]) -> Health:
        try:
            await db_session.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as error:
            raise ServiceUnavailableError from error
        return Health(status="ok", database="ok")
