"""Shared fixtures: a migrated database on SQLite always, and on PostgreSQL when reachable.

PostgreSQL tests get a fresh database of their own (created on the server named by
``SEDA_TEST_POSTGRES_URL``, dropped afterwards). Without a reachable server they are
skipped, unless ``SEDA_TEST_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which makes them fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from server.demo.keys import DemoKeys
    from tests.web_support import Site

POSTGRES_ADMIN_URL = os.environ.get(
    "SEDA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("SEDA_TEST_REQUIRE_POSTGRES") == "1"
# The fault tests' "Fault tests" summary section and their marker (docs/FAULTS.md).
pytest_plugins = ["tests.fault_report"]
_postgres_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


@functools.cache
def postgres_reachable() -> bool:
    """A server answers *and* lets the test role in (a listening port is not enough)."""
    url = make_url(POSTGRES_ADMIN_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            pass
        asyncio.run(_admin("SELECT 1"))
    except Exception:  # noqa: BLE001 (refused, auth failed, no such database: all mean "not usable")
        return False
    return True


async def _admin(statement: str) -> None:
    import asyncpg

    url = make_url(POSTGRES_ADMIN_URL)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def new_postgres_database() -> Iterator[str]:
    """A URL to a new, empty PostgreSQL database, dropped afterwards (skips or fails the test
    when no server is usable)."""
    if not postgres_reachable():
        url = make_url(POSTGRES_ADMIN_URL)
        message = (
            f"PostgreSQL is not usable at {url.host}:{url.port or 5432} (down, or the role cannot log in)"
        )
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and SEDA_TEST_REQUIRE_POSTGRES=1")
        pytest.skip(message)
    name = f"seda_test_{secrets.token_hex(6)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a new, empty PostgreSQL database, dropped after the test."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def module_postgres_url() -> Iterator[str]:
    """The same, shared by a module's tests (they must not depend on each other's writes)."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'seda.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL: SQLite, then PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """A database at the newest schema revision."""
    from server.db import migrate

    migrate.upgrade(database_url)
    return database_url


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The app and the CLI reconfigure logging; put the root logger back after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgresql" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _postgres_outcomes[report.outcome] = _postgres_outcomes.get(report.outcome, 0) + 1


# Figures tests report (matrix sizes, counts), printed at the end of the run (``figures``).
_figures: list[str] = []


@pytest.fixture
def figures() -> list[str]:
    """Append a line to show it in the run's summary, captured output or not."""
    return _figures


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _figures:
        terminalreporter.write_line(line)
    outcomes = _postgres_outcomes
    terminalreporter.write_line(
        f"PostgreSQL-backed tests: {outcomes['passed']} ran and passed, "
        f"{outcomes['failed']} did not pass, {outcomes['skipped']} were skipped "
        f"(server {make_url(POSTGRES_ADMIN_URL).host}, required={REQUIRE_POSTGRES})"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI must prove the PostgreSQL path, not merely tolerate its absence.
    if REQUIRE_POSTGRES and exitstatus == 0 and _postgres_outcomes["passed"] == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def seeded_any(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, DemoKeys]:
    """A migrated, seeded database with a published demo directory: SQLite, then PostgreSQL."""
    from tests.intake_support import seed_database, seeded_sqlite

    if request.param == "sqlite":
        return seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    url = str(request.getfixturevalue("postgres_url"))
    return url, seed_database(url, tmp_path / "keys")


# -- browser tests (tests/web_support.py): a running server and one Chromium per module -----
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from tests.browser import AXE, PAGE_ASSETS, require_browser
    from tests.intake_support import LiveServer, seeded_sqlite
    from tests.web_support import Site

    require_browser(*PAGE_ASSETS, AXE)
    workdir = tmp_path_factory.mktemp("web")
    url, keys = seeded_sqlite(workdir, tmp_path_factory.getbasetemp())
    with LiveServer(url, workdir) as server:
        yield Site(server, url, keys, workdir)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    from tests.browser import AXE, CHROMIUM, CHROMIUM_ARGS, PAGE_ASSETS, require_browser

    require_browser(*PAGE_ASSETS, AXE)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()
