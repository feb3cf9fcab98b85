"""``GET /metrics``: Prometheus text format, no report data (docs/DEPLOYMENT.md "Metrics")."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from server import __version__
from server.errors import problem_responses
from server.intake.controller import Intake
from server.metrics.hourly import HourlyRequestMetrics, summed


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self.families


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
        metrics_token: NamedDependency[str],
    ) -> Response[bytes]:
        if metrics_token and not _bearer_matches(request.headers.get("authorization", ""), metrics_token):
            raise NotFoundException  # the same answer as a path that does not exist
        registry = CollectorRegistry(auto_describe=False)
        registry.register(
            _Families([*await _live(db_session, intake), *summed(metrics.released_snapshots())])
        )
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, presented = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.encode(), token.encode())


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
