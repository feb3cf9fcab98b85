"""``seda summary``: a month's summary from the operator's terminal, and checking a copy.

``seda summary --month 1405-08 [--province CODE | --institution CODE] --format json|csv|pdf``
makes any closed month still without summaries (oldest first, as the job does), then writes
the stored, signed summary. The suppressed view is the default: it is the one that may leave
the Organization.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import select

from server.console.cli import console, database_work
from server.db.lifecycle import Database
from server.db.models import MonthlySummary
from server.settings import settings_from_env
from server.summaries import documents, formats, months, store
from server.summaries.build import NATION
from server.summaries.job import thresholds_of
from server.summaries.model import ScopeLevel, View, parse_month

summary_cli = typer.Typer(
    help="Monthly analytic summaries: write one (JSON, CSV, PDF), make missing months, verify a copy.",
    pretty_exceptions_show_locals=False,
)


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


class Language(StrEnum):
    FA = "fa"
    EN = "en"


def _scope(province: str | None, institution: str | None) -> tuple[ScopeLevel, str]:
    if province and institution:
        console.print("[red]Give --province or --institution, not both.[/red]")
        raise typer.Exit(2)
    if institution:
        return ScopeLevel.INSTITUTION, institution
    if province:
        return ScopeLevel.PROVINCE, province
    return ScopeLevel.NATIONAL, NATION


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with out.open("xb") as file:  # never overwrite an earlier copy
            file.write(data)
    except FileExistsError:
        console.print(f"[red]{escape(str(out))} exists[/red]: choose another file.")
        raise typer.Exit(1) from None
    console.print(f"Written to {escape(str(out))}.")


@summary_cli.callback(invoke_without_command=True)
def summary(
    context: typer.Context,
    *,
    month: Annotated[str | None, typer.Option(help="The Solar Hijri month, YYYY-MM (e.g. 1405-08).")] = None,
    province: Annotated[
        str | None, typer.Option(help="A province's code (default: the whole country).")
    ] = None,
    institution: Annotated[str | None, typer.Option(help="An institution's code.")] = None,
    view: Annotated[
        View, typer.Option(help="suppressed (for distribution) or full (the Organization's own).")
    ] = View.SUPPRESSED,
    output: Annotated[Format, typer.Option("--format", help="json, csv or pdf.")] = Format.JSON,
    language: Annotated[Language, typer.Option(help="Language of the CSV labels and the PDF.")] = Language.FA,
    out: Annotated[
        Path | None, typer.Option(help="Write to this new file (default: standard output).")
    ] = None,
) -> None:
    """Write a month's summary (made first if the month has none yet)."""
    if context.invoked_subcommand is not None:
        return
    if month is None:
        console.print("[red]--month is required[/red], e.g. --month 1405-08 (or see --help).")
        raise typer.Exit(2)
    try:
        wanted = parse_month(month)
    except ValueError as error:
        console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    level, code = _scope(province, institution)
    if output == Format.PDF and out is None and sys.stdout.isatty():
        console.print("[red]A PDF is not written to a terminal[/red]: give --out FILE.")
        raise typer.Exit(2)
    thresholds = thresholds_of(settings_from_env(os.environ))

    async def work(database: Database, now: datetime) -> MonthlySummary | None:
        if months.window(*wanted)[1] + store.GRACE > now:
            return None
        await store.ensure_months(database, now=now, thresholds=thresholds, upto=wanted)
        async with database.sessions() as session:
            return await store.stored(session, months.code_of(*wanted), level, code, view)

    row = database_work(work)
    if row is None:
        console.print(
            f"[red]No summary[/red] for {escape(month)} {level.value} {escape(code)}:"
            " the month has not ended, or there is no such unit."
        )
        raise typer.Exit(1)
    signed = store.signed(row)
    if output == Format.JSON:
        _write(formats.to_json(store.document(row)), out)
    elif output == Format.CSV:
        _write(formats.to_csv(signed, language.value), out)
    else:
        _write(documents.render_signed(signed, language.value), out)


@summary_cli.command("make")
def make() -> None:
    """Make every closed month still without summaries now (the job does this on its own)."""
    thresholds = thresholds_of(settings_from_env(os.environ))

    async def work(database: Database, now: datetime) -> list[str]:
        return await store.ensure_months(database, now=now, thresholds=thresholds)

    made = database_work(work)
    console.print(f"Summaries made for {len(made)} month(s){': ' + ', '.join(made) if made else ''}.")


@summary_cli.command("verify")
def verify(file: Annotated[Path, typer.Argument(help="A JSON or CSV copy of a summary.")]) -> None:
    """Check a copy: its signature and hash, and that this installation stored that summary."""
    data = file.read_bytes()
    try:
        if data.lstrip().startswith(b"{"):
            digest = formats.check_json(data).content_sha256
        else:
            digest = formats.csv_hash(data)
    except formats.NotASummaryError:
        console.print("[red]Not a genuine summary[/red]: its hash or signature does not hold.")
        raise typer.Exit(1) from None

    async def work(database: Database, _now: datetime) -> MonthlySummary | None:
        async with database.sessions() as session:
            return await session.scalar(
                select(MonthlySummary).where(MonthlySummary.document_sha256 == bytes.fromhex(digest))
            )

    row = database_work(work)
    if row is None or not _same_copy(data, row):
        console.print("[red]Not a genuine summary[/red]: this installation stored no such summary.")
        raise typer.Exit(1)
    console.print(
        f"Genuine: {row.month} {row.level} {escape(row.unit_code)} ({row.view} view), sha256 {digest}."
    )


def _same_copy(data: bytes, row: MonthlySummary) -> bool:
    signed = store.signed(row)
    if data.lstrip().startswith(b"{"):
        # Hash and signature were checked with the key the copy names: it must be ours.
        return formats.check_json(data).public_key == signed.public_key
    return any(data == formats.to_csv(signed, language.value) for language in Language)
