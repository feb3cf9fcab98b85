"""The application factory: ``create_app(settings) -> Litestar``."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.static_files import create_static_files_router

from server import __version__
from server.boxes.controller import BoxesController
from server.console.controller import ConsoleAccountController, ConsoleController
from server.console.deadlines import lifespan_of
from server.console.state import Console
from server.db.lifecycle import Database
from server.errors import EXCEPTION_HANDLERS
from server.health.controller import HealthController
from server.http import InflightLimit, RequestLog, SedaRequest, add_security_headers
from server.i18n import preload as preload_catalogues
from server.intake.controller import Intake, IntakeController
from server.kiosks.controller import KioskConsoleController, KioskDeviceController
from server.logging import configure_logging, get_logger
from server.metrics.controller import MetricsAccess, MetricsController
from server.metrics.hourly import HourlyRequestMetrics
from server.openapi import WireSchemaPlugin
from server.retention.job import lifespan_of as retention_lifespan
from server.settings import Settings, SettingsError, settings_from_env
from server.summaries.controller import SummariesController
from server.summaries.job import lifespan_of as summary_lifespan
from server.web.controller import WebController

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings, clock: Callable[[], datetime] | None = None) -> Litestar:
    """Build the Sedā application for ``settings``; nothing is read from the environment.

    ``clock`` (aware UTC ``datetime``) is replaceable for tests of deadlines and expiry.
    """
    configure_logging(settings)
    if not settings.root_public_key:
        get_logger("seda.app").warning(
            "root_key_not_pinned",
            fixed_message="SEDA_ROOT_PUBLIC_KEY is not set: documents verify against the key recorded"
            " when they were published, and the web pages pin that key. Set it outside a demo.",
        )
    preload_catalogues()
    database = Database(settings.database_url)
    intake = Intake(settings, database, clock)
    console = Console(settings, database, intake.clock)
    metrics_access = MetricsAccess.of(settings.metrics_token, settings.host)
    metrics = HourlyRequestMetrics(Path(settings.metrics_dir) if settings.metrics_dir else None, intake.clock)
    app = Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            IntakeController,
            ConsoleAccountController,
            ConsoleController,
            BoxesController,
            SummariesController,
            KioskDeviceController,
            KioskConsoleController,
            WebController,
            # Styles, fonts and the pages' scripts (built by scripts/bootstrap from web/).
            create_static_files_router(path="/static", directories=[STATIC_DIR], include_in_schema=False),
        ],
        dependencies={
            "db_session": Provide(database.session),
            "intake": Provide(lambda: intake, use_cache=True, sync_to_thread=False),
            "console": Provide(lambda: console, use_cache=True, sync_to_thread=False),
            "metrics": Provide(lambda: metrics, use_cache=True, sync_to_thread=False),
            "metrics_access": Provide(lambda: metrics_access, use_cache=True, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[add_security_headers],
        on_shutdown=[database.dispose],
        lifespan=[
            intake.lifespan,
            metrics.lifespan,
            lifespan_of(database, intake.trusted_now, intake.clock, settings.deadline_job_seconds),
            summary_lifespan(database, settings, intake.clock),
            retention_lifespan(database, settings, intake.clock),
        ],
        openapi_config=OpenAPIConfig(
            title="Sedā",
            version=__version__,
            description="Confidential complaint and whistleblowing system (Article 114).",
            path="/schema",
            # JSON only: the HTML viewers load scripts from third-party sites.
            render_plugins=[JsonRenderPlugin()],
        ),
        plugins=[WireSchemaPlugin()],
        request_class=SedaRequest,
        request_max_body_size=settings.max_request_bytes,
        logging_config=None,
        debug=False,
    )
    # Outermost, so that requests no route matched are logged (by template) too.
    app.asgi_handler = RequestLog(InflightLimit(app.asgi_handler, settings.max_inflight), metrics)
    return app


def app_from_environment() -> Litestar:
    """Factory for the HTTP server: settings from ``SEDA_*`` variables.

    A bad setting ends the worker with the setting's name (never its value, never a
    traceback on the terminal, where it would bypass the log filters).
    """
    try:
        settings = settings_from_env(os.environ)
    except SettingsError as error:
        configure_logging(Settings())
        get_logger("seda.app").error("configuration_error", fixed_message=str(error))
        raise SystemExit(2) from None
    return create_app(settings)
