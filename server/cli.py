"""``seda``: the operator's command line (serve, migrate, demo data, audit verification).

Operator messages are in English for now; the operator console's translation is tracked
with the console work (docs/DECISIONS.md).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Annotated

import typer
from granian.constants import Interfaces
from granian.server import Server
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.exc import SQLAlchemyError

from server.audit import ChainVerification, verify_stored_chain
from server.db import migrate
from server.db.engine import backend_name
from server.db.lifecycle import Database
from server.demo.provinces import PROVINCES
from server.demo.service import DemoSummary, seed_demo
from server.keys_cli import keys_cli
from server.logging import configure_logging, logging_dictconfig
from server.settings import Settings, SettingsError, settings_from_env

cli = typer.Typer(help="Sedā: confidential reporting for prisons (Article 114).", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
audit_cli = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(keys_cli, name="keys")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        settings = settings_from_env(os.environ)
    except SettingsError as error:
        console.print(f"[red]Configuration error:[/red] {error}")
        raise typer.Exit(2) from None
    configure_logging(settings)
    return settings


def _fail(what: str, error: Exception) -> typer.Exit:
    # The exception's text can quote SQL or a URL with a password: print its type only.
    console.print(f"[red]{what} failed[/red] ({type(error).__name__}); is the database reachable?")
    return typer.Exit(1)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply schema migrations (to the newest revision by default)."""
    settings = _settings()
    console.print(f"Migrating the {backend_name(settings.database_url)} database to {revision} …")
    try:
        migrate.upgrade(settings.database_url, revision)
    except (SQLAlchemyError, OSError) as error:
        raise _fail("Migration", error) from None
    console.print("[green]Database schema is up to date.[/green]")


@cli.command("demo")
def demo() -> None:
    """Create demo data (31 provinces, demo institutions, Article 114 bodies) if absent."""
    settings = _settings()
    try:
        summary = asyncio.run(_seed(settings))
    except (SQLAlchemyError, OSError) as error:
        raise _fail("Creating demo data", error) from None
    verb = "Created" if summary.created else "Already present:"
    console.print(
        f"[green]{verb}[/green] {summary.provinces} provinces, "
        f"{summary.institutions} institutions, {summary.bodies} bodies."
    )


async def _seed(settings: Settings) -> DemoSummary:
    database = Database(settings.database_url)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Provinces", total=len(PROVINCES))
            async with database.sessions() as session:
                return await seed_demo(
                    session, datetime.now(UTC), on_province=lambda _: progress.advance(task)
                )
    finally:
        await database.dispose()


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute every link of the audit chain; exit 1 at the first broken link."""
    settings = _settings()
    try:
        result = asyncio.run(_verify(settings))
    except (SQLAlchemyError, OSError) as error:
        raise _fail("Audit verification", error) from None
    if not result.ok:
        console.print(
            f"[red]Audit chain broken at entry {result.first_bad_seq}[/red] "
            f"({result.checked} entries before it are intact)."
        )
        raise typer.Exit(1)
    console.print(f"[green]Audit chain intact:[/green] {result.checked} entries.")


async def _verify(settings: Settings) -> ChainVerification:
    database = Database(settings.database_url)
    try:
        async with database.sessions() as session:
            return await verify_stored_chain(session)
    finally:
        await database.dispose()


@cli.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (SEDA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SEDA_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (SEDA_WORKERS).")] = None,
) -> None:
    """Run the HTTP server (Granian)."""
    settings = _settings()
    overrides = {"SEDA_HOST": host, "SEDA_PORT": port, "SEDA_WORKERS": workers}
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = str(value)  # the workers read their settings from here
    settings = _settings()
    console.print(f"Sedā is listening on [bold]{settings.base_url}[/bold]  (Ctrl+C stops it)")
    Server(
        "server.app:app_from_environment",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        factory=True,
        log_access=False,
        log_dictconfig=logging_dictconfig(settings),
    ).serve()


def main() -> None:
    cli()
