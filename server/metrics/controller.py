"""``GET /metrics``: Prometheus text format, no report data (docs/DEPLOYMENT.md "Metrics")."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server import __version__
from server.errors import problem_responses
from server.intake.controller import Intake
from server.metrics.hourly import HourlyRequestMetrics, render, summed


class MetricsController(Controller):
    path = "/metrics"
    tags = ("operations",)
    include_in_schema = False

    @get(
        summary="Operational metrics (Prometheus)",
        responses=problem_responses("not-found"),
        media_type=CONTENT_TYPE_LATEST,
    )
    async def metrics(
        self,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        intake: NamedDependency[Intake],
        metrics: NamedDependency[HourlyRequestMetrics],
        metrics_access: NamedDependency[MetricsAccess],
    ) -> Response[bytes]:
        if not metrics_access.allows(request.headers.get("authorization", "")):
            raise NotFoundException  # the same answer as a path that does not exist
        live = await _live(db_session, intake)
        exposition = render([*live, *summed(metrics.released_snapshots())])
        return Response(exposition.encode(), media_type=CONTENT_TYPE_LATEST)


class MetricsAccess(msgspec.Struct, frozen=True):
    """Who may read ``/metrics``: the holder of the token; without a token, anyone only when
    the server listens on loopback (a server on a network address with no token keeps
    ``/metrics`` shut, whatever the proxy in front lets through)."""

    token: str
    loopback_only: bool

    @classmethod
    def of(cls, token: str, host: str) -> MetricsAccess:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        return cls(token=token, loopback_only=loopback)

    def allows(self, authorization: str) -> bool:
        if not self.token:
            return self.loopback_only
        scheme, _, presented = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented.encode(), self.token.encode())


async def _live(session: AsyncSession, intake: Intake) -> list[Metric]:
    """Gauges read at the scrape: none of them moves with a reporter's request."""
    info = GaugeMetricFamily("seda_build_info", "The running Sedā version.", labels=["version"])
    info.add_metric([__version__], 1)
    database_up = GaugeMetricFamily("seda_database_up", "1 when the database answered this scrape.")
    try:
        await session.execute(text("SELECT 1"))
        database_up.add_metric([], 1)
    except (SQLAlchemyError, OSError):
        database_up.add_metric([], 0)
    expiry = GaugeMetricFamily(
        "seda_directory_expiry_timestamp_seconds",
        "When the key directory this process routes with expires (absent: none trusted).",
    )
    trusted = intake.trust.fresh(intake.clock())
    if trusted is not None:
        expiry.add_metric([], trusted.expires_at.timestamp())
    return [info, database_up, expiry]
