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

from server.audit import parse_anchor
from server.backup import restore as restoring
from server.backup.dump import dump_to_file
from server.backup.errors import AuditChainBrokenError, BackupError
from server.backup.stream import Manifest
from server.backup.verify import Verified, verify_backup
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


def _anchor(text: str | None) -> tuple[int, bytes] | None:
    if text is None:
        return None
    try:
        return parse_anchor(text)
    except ValueError:
        console.print("[red]--anchor must be SEQ:HASH as printed by `seda audit head`.[/red]")
        raise typer.Exit(2) from None


AnchorOption = Annotated[
    str | None,
    typer.Option(
        "--anchor",
        help="SEQ:HASH recorded outside the database (`seda audit head`): the backup's chain must hold it.",
    ),
]


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
    if not manifest.audit_head.intact:
        # Written all the same: a copy of a damaged database is evidence worth keeping.
        console.print(
            f"[bold red]AUDIT CHAIN BROKEN in the source database[/bold red]: it verifies only up to"
            f" entry {manifest.audit_head.seq}; the database was altered. The backup was written to"
            f" {escape(str(out))} as it is; run `seda audit verify` and see docs/OPERATIONS.md."
        )
        raise typer.Exit(1)
    console.print(
        f"[green]Backup written[/green] to {escape(str(out))}"
        " (mode 0600: it is as sensitive as the database). Record the audit head elsewhere:"
    )
    typer.echo(manifest.audit_head.anchor)


@backup_cli.command("verify")
def verify(file: Annotated[Path, typer.Argument(help="A backup file.")], anchor: AnchorOption = None) -> None:
    """Check a backup without a database: structure, counts, hashes and its audit chain."""
    expected = _anchor(anchor)

    def work() -> Verified:
        with file.open("rb") as stream:
            return verify_backup(stream, expected)

    verified = _guarded("Verification", work)
    _print_manifest(verified.manifest)
    if verified.first_bad_seq is not None:
        console.print(
            f"[bold red]The backup is whole, but its AUDIT CHAIN IS BROKEN at entry"
            f" {verified.first_bad_seq}[/bold red]: the database it was made from was altered."
        )
        raise typer.Exit(1)
    console.print("[green]The backup is whole and its audit chain recomputes to its head.[/green]")
    if expected:
        console.print(f"[green]It holds the anchored entry {expected[0]}.[/green]")


@backup_cli.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup file.")],
    anchor: AnchorOption = None,
    accept_broken_chain: Annotated[
        bool,
        typer.Option(
            "--accept-broken-chain",
            help="Restore a backup whose audit chain is broken (to examine it); exits 1 all the same.",
        ),
    ] = False,
) -> None:
    """Restore a backup into the empty database SEDA_DATABASE_URL names (migrated to head first)."""
    settings = _settings()
    url = settings.database_url
    expected = _anchor(anchor)

    def work() -> restoring.Restored:
        with file.open("rb") as stream:
            restoring.check_header(stream)
        with file.open("rb") as stream:
            # The whole file first: a damaged, broken or unanchored one is refused before any write.
            verified = verify_backup(stream, expected)
        if verified.first_bad_seq is not None and not accept_broken_chain:
            raise AuditChainBrokenError(verified.first_bad_seq)
        _with_database(url, restoring.require_empty)  # before migrating anything
        migrate.upgrade(url)
        with file.open("rb") as stream:
            return _with_database(
                url,
                lambda db: restoring.restore(
                    db, stream, anchor=expected, accept_broken_chain=accept_broken_chain
                ),
            )

    restored = _guarded("Restore", work)
    for name, count in restored.tables.items():
        console.print(f"  {name}: {count}")
    console.print(
        f"{restored.sessions_ended} console session(s) of the backup deleted: officers sign in again."
    )
    if restored.first_bad_seq is not None:
        console.print(
            f"[bold red]Restored {sum(restored.tables.values())} rows of a database whose AUDIT CHAIN IS"
            f" BROKEN at entry {restored.first_bad_seq}[/bold red] (--accept-broken-chain). Do not run it"
            " as the live system before the break is explained."
        )
        raise typer.Exit(1)
    console.print(
        f"[green]Restored[/green] {sum(restored.tables.values())} rows; audit chain verified,"
        f" {restored.audit_entries} entries, head {restored.audit_head}."
    )
    typer.echo(restored.audit_head)
