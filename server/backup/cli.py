"""``seda backup``: write, check and restore backups (docs/OPERATIONS.md "Backups").

A backup holds everything the database holds, ciphertext as ciphertext: it is as sensitive as
the database and is written with mode 0600. Errors are reported by kind, never by their text.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from server.backup import restore as restoring
from server.backup.dump import dump_to_file
from server.backup.errors import BackupError
from server.backup.stream import Manifest
from server.backup.verify import verify_backup
from server.db import migrate
from server.db.engine import is_sqlite
from server.db.lifecycle import Database
from server.logging import configure_logging
from server.settings import Settings, SettingsError, settings_from_env

backup_cli = typer.Typer(help="Backups: create, verify and restore.", no_args_is_help=True)
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


def _guarded(what: str, work: Callable[[], _T]) -> _T:
    try:
        return work()
    except BackupError as error:
        console.print(f"[red]{what} refused:[/red] {error}.")
    except (OperationalError, OSError):
        console.print(f"[red]{what} failed[/red]: the database or the file could not be reached.")
    except SQLAlchemyError as error:
        console.print(f"[red]{what} failed[/red] ({type(error).__name__}).")
    raise typer.Exit(1)


def _with_database(url: str, work: Callable[[Database], Awaitable[_T]]) -> _T:
    async def run() -> _T:
        database = Database(url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _print_manifest(manifest: Manifest) -> None:
    table = Table("table", "rows", "sha256")
    for name, summary in manifest.tables.items():
        table.add_row(name, str(summary.rows), summary.sha256[:16] + "…")
    console.print(table)
    console.print(f"Revision {manifest.revision}, made {manifest.created_at.isoformat()}.")
    state = "intact" if manifest.audit_head.intact else "[red]BROKEN in the source database[/red]"
    console.print(f"Audit chain {state}; head {manifest.audit_head.anchor}")


@backup_cli.command("create")
def create(out: Annotated[Path, typer.Option(help="The new backup file (never overwritten).")]) -> None:
    """Write a consistent backup of the whole database to a new file (mode 0600)."""
    settings = _settings()
    url = make_url(settings.database_url)
    if is_sqlite(url) and url.database and not Path(url.database).exists():
        console.print(f"[red]No database at {escape(url.database)}[/red].")
        raise typer.Exit(2)
    manifest = _guarded(
        "Backup",
        lambda: _with_database(
            settings.database_url, lambda db: dump_to_file(db.engine, out, datetime.now(UTC))
        ),
    )
    _print_manifest(manifest)
    console.print(
        f"[green]Backup written[/green] to {escape(str(out))}"
        " (mode 0600: it is as sensitive as the database). Record the audit head elsewhere:"
    )
    typer.echo(manifest.audit_head.anchor)


@backup_cli.command("verify")
def verify(file: Annotated[Path, typer.Argument(help="A backup file.")]) -> None:
    """Check a backup without a database: structure, counts, hashes and its audit chain."""

    def work() -> Manifest:
        with file.open("rb") as stream:
            return verify_backup(stream)[1]

    manifest = _guarded("Verification", work)
    _print_manifest(manifest)
    console.print("[green]The backup is whole and its audit chain recomputes to its head.[/green]")


@backup_cli.command("restore")
def restore(file: Annotated[Path, typer.Argument(help="A backup file.")]) -> None:
    """Restore a backup into the empty database SEDA_DATABASE_URL names (migrated to head first)."""
    settings = _settings()
    url = settings.database_url

    def work() -> restoring.Restored:
        with file.open("rb") as stream:
            restoring.check_header(stream)
        with file.open("rb") as stream:
            verify_backup(stream)  # the whole file first: a damaged one is refused before any write
        _with_database(url, restoring.require_empty)  # before migrating anything
        migrate.upgrade(url)
        with file.open("rb") as stream:
            return _with_database(url, lambda db: restoring.restore(db, stream))

    restored = _guarded("Restore", work)
    for name, count in restored.tables.items():
        console.print(f"  {name}: {count}")
    console.print(
        f"[green]Restored[/green] {sum(restored.tables.values())} rows; audit chain verified,"
        f" {restored.audit_entries} entries, head {restored.audit_head}."
    )
    typer.echo(restored.audit_head)
