"""``seda``: the operator's command line (serve, migrate, demo data, audit, keys).

Operator messages are in English for now; the operator console's translation is tracked
with the console work (docs/DECISIONS.md). Errors are reported by kind, never by their
text: a driver's message can quote SQL, a row or a URL with its password.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from granian.constants import Interfaces
from granian.server import Server
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from kiosk_client.cli import report_cli
from server.audit import ChainVerification, parse_anchor, stored_hash_at, verify_stored_chain
from server.backup.cli import backup_cli
from server.boxes.cli import boxes_cli
from server.console.cli import officer_cli
from server.db import migrate
from server.db.engine import backend_name, is_sqlite
from server.db.lifecycle import Database
from server.demo.keys import DemoKeys, ensure_demo_trust
from server.demo.provinces import PROVINCES
from server.demo.service import DemoSummary, seed_demo
from server.intake.trust import PublishError, publish
from server.keys_cli import keys_cli
from server.kiosks.cli import kiosk_cli
from server.logging import configure_logging, logging_dictconfig
from server.metrics.hourly import DEFAULT_METRICS_DIR, clear_snapshots
from server.retention.cli import retention_cli
from server.settings import Settings, SettingsError, settings_from_env
from server.summaries.cli import summary_cli

cli = typer.Typer(help="Sedā: confidential reporting for prisons (Article 114).", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
audit_cli = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(report_cli, name="report")
cli.add_typer(officer_cli, name="officer")
cli.add_typer(kiosk_cli, name="kiosk")
cli.add_typer(boxes_cli, name="boxes")
cli.add_typer(summary_cli, name="summary")
cli.add_typer(backup_cli, name="backup")
cli.add_typer(retention_cli, name="retention")
console = Console(stderr=True)
_T = TypeVar("_T")


def _settings() -> Settings:
    try:
        settings = settings_from_env(os.environ)
    except SettingsError as error:
        console.print(f"[red]Configuration error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    configure_logging(settings)
    return settings


def _existing_database(settings: Settings) -> Settings:
    """For commands that only read: refuse to create an empty SQLite file by a typo."""
    url = make_url(settings.database_url)
    if is_sqlite(url) and url.database and not Path(url.database).exists():
        console.print(f"[red]No database at {url.database}[/red] (run `seda db upgrade` first?)")
        raise typer.Exit(2)
    return settings


def _attempt(what: str, work: Callable[[], _T]) -> _T:
    try:
        return work()
    except IntegrityError:
        console.print(
            f"[red]{what} failed[/red]: it conflicts with data already there (another seda running?)"
        )
    except (OperationalError, OSError):
        console.print(f"[red]{what} failed[/red]: the database did not answer (is it running and reachable?)")
    except (SQLAlchemyError, ImportError) as error:
        console.print(f"[red]{what} failed[/red] ({type(error).__name__})")
    raise typer.Exit(1)


def _run_async(work: Callable[[Database], Awaitable[_T]], settings: Settings) -> _T:
    async def run() -> _T:
        database = Database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply schema migrations (to the newest revision by default)."""
    settings = _settings()
    console.print(f"Migrating the {backend_name(settings.database_url)} database to {revision} …")
    _attempt("Migration", lambda: migrate.upgrade(settings.database_url, revision))
    console.print("[green]Database schema is up to date.[/green]")


@cli.command("demo")
def demo() -> None:
    """Create demo data (31 provinces, demo institutions, Article 114 bodies) if absent."""
    settings = _settings()
    summary = _attempt("Creating demo data", lambda: _run_async(_seed, settings))
    verb = "Created" if summary.created else "Already present:"
    console.print(
        f"[green]{verb}[/green] {summary.provinces} provinces, "
        f"{summary.institutions} institutions, {summary.bodies} bodies."
    )
    keys_dir = Path(settings.demo_keys_dir)
    keys = _attempt(
        "Publishing the demo directory", lambda: _run_async(lambda db: _demo_trust(db, keys_dir), settings)
    )
    console.print(f"Demo keys in {keys_dir} (demo only). Root public key: {keys.root_public.hex()}")


async def _seed(database: Database) -> DemoSummary:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Provinces", total=len(PROVINCES))
        async with database.write_session() as session:
            return await seed_demo(session, datetime.now(UTC), on_province=lambda _: progress.advance(task))


async def _demo_trust(database: Database, keys_dir: Path) -> DemoKeys:
    async with database.write_session() as session:
        return await ensure_demo_trust(session, keys_dir, datetime.now(UTC))


@cli.command("publish")
def publish_document(
    signed_file: Annotated[Path, typer.Argument(help="A signed directory or policy from the key ceremony.")],
    root_public: Annotated[
        str | None, typer.Option(help="The root public key (hex); default SEDA_ROOT_PUBLIC_KEY.")
    ] = None,
) -> None:
    """Verify a signed directory or policy against the root key and publish it to clients."""
    settings = _existing_database(_settings())
    try:
        root = bytes.fromhex(root_public or settings.root_public_key)
        data = signed_file.read_bytes()
    except (ValueError, OSError):
        console.print("[red]Give the root public key (64 hex digits) and a readable signed file.[/red]")
        raise typer.Exit(2) from None
    if len(root) != 32:
        console.print("[red]The root public key must be 64 hexadecimal digits.[/red]")
        raise typer.Exit(2)

    async def work(database: Database) -> str:
        async with database.write_session() as session:
            try:
                row = await publish(session, data, root, datetime.now(UTC))
            except PublishError as error:
                return f"refused: {error}"
            await session.commit()
            return f"published {row.kind} serial {row.serial}"

    outcome = _attempt("Publishing", lambda: _run_async(work, settings))
    if outcome.startswith("refused"):
        console.print(f"[red]{escape(outcome)}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]{outcome}[/green]")


@audit_cli.command("verify")
def audit_verify(
    anchor: Annotated[
        str | None,
        typer.Option(help="SEQ:HASH recorded earlier by `seda audit head`; the chain must still hold it."),
    ] = None,
) -> None:
    """Recompute every link of the audit chain; exit 1 at the first broken link."""
    settings = _existing_database(_settings())
    expected = _parse_anchor(anchor) if anchor else None

    async def work(database: Database) -> tuple[ChainVerification, bytes | None]:
        async with database.sessions() as session:
            result = await verify_stored_chain(session)
            stored = await stored_hash_at(session, expected[0]) if expected else None
            return result, stored

    result, stored = _attempt("Audit verification", lambda: _run_async(work, settings))
    if not result.ok:
        console.print(
            f"[red]Audit chain broken at entry {result.first_bad_seq}[/red] "
            f"({result.checked} entries before it are intact)."
        )
        raise typer.Exit(1)
    if expected and (stored != expected[1] or result.checked < expected[0]):
        console.print(
            f"[red]The chain no longer holds anchored entry {expected[0]}[/red]: it was cut or rewritten."
        )
        raise typer.Exit(1)
    console.print(f"[green]Audit chain intact:[/green] {result.checked} entries.")


@audit_cli.command("head")
def audit_head() -> None:
    """Print the newest intact link as SEQ:HASH, to record outside the database."""
    settings = _existing_database(_settings())

    async def work(database: Database) -> ChainVerification:
        async with database.sessions() as session:
            return await verify_stored_chain(session)

    result = _attempt("Reading the audit head", lambda: _run_async(work, settings))
    typer.echo(f"{result.checked}:{result.head_hash.hex()}")
    if not result.ok:
        raise typer.Exit(1)


def _parse_anchor(text: str) -> tuple[int, bytes]:
    try:
        return parse_anchor(text)
    except ValueError:
        console.print("[red]--anchor must be SEQ:HASH as printed by `seda audit head`.[/red]")
        raise typer.Exit(2) from None


@cli.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (SEDA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (SEDA_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (SEDA_WORKERS).")] = None,
) -> None:
    """Run the HTTP server (Granian)."""
    overrides = {"SEDA_HOST": host, "SEDA_PORT": port, "SEDA_WORKERS": workers}
    for name, value in overrides.items():
        if value is not None:
            os.environ[name] = str(value)  # the workers read their settings from here
    # Every worker releases its metrics into one folder, so /metrics answers for all of them.
    os.environ.setdefault("SEDA_METRICS_DIR", DEFAULT_METRICS_DIR)
    settings = _settings()
    if settings.metrics_dir:
        clear_snapshots(Path(settings.metrics_dir))
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
