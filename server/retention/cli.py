"""``seda retention purge [--dry-run]``: purge closed cases past ``SEDA_RETENTION_DAYS`` now
(the retention job in every server process does the same on its own)."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape

from server.console.cli import console, database_work
from server.db.lifecycle import Database
from server.retention.purge import checkpoint_owed, purge, purgeable
from server.settings import SettingsError, settings_from_env

retention_cli = typer.Typer(help="Retention of closed cases (SEDA_RETENTION_DAYS).", no_args_is_help=True)


@retention_cli.command("purge")
def purge_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be purged.")] = False,
) -> None:
    """Purge every closed case whose retention period has passed (docs/OPERATIONS.md)."""
    try:
        days = settings_from_env(os.environ).retention_days
    except SettingsError as error:
        console.print(f"[red]Configuration error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None
    if days <= 0:
        console.print("Retention is off (SEDA_RETENTION_DAYS=0): nothing is purged.")
        return
    if dry_run:

        async def preview(database: Database, now: datetime) -> int:
            found = await purgeable(database, now=now, days=days)
            for item in found:
                console.print(f"  report {item.report_id}, closed {item.closed_hour.isoformat()}")
            return len(found)

        count = database_work(preview)
        console.print(f"{count} closed case(s) would be purged (dry run: nothing changed).")
        return

    async def work(database: Database, now: datetime) -> tuple[int, bool]:
        return await purge(database, now=now, days=days), checkpoint_owed(database)

    count, owed = database_work(work)
    console.print(
        f"[green]{count} closed case(s) purged[/green]; each is recorded as report.purged in the audit log."
    )
    if owed:
        console.print(
            "[yellow]A reader kept the SQLite WAL checkpoint from completing:[/yellow] the purged"
            " bytes may still be in the database files until a later pass (the server's retention"
            " job, or this command run again) completes it."
        )
