"""``seda boxes``: the box registry and token slips from the operator's terminal
(docs/BOXES.md). Operators see no letter content; a slip batch's tokens exist only in the PDF
written here (mode 0600), never in the database or on the terminal."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from server.boxes import service
from server.console.cli import console, database_work
from server.db.lifecycle import Database

boxes_cli = typer.Typer(
    help="Suggestion boxes: add, list, remove; token slips; check minutes.", no_args_is_help=True
)


@boxes_cli.command("add")
def add(
    code: Annotated[str, typer.Argument(help="The box's code, unique (e.g. 'evin-ward-4').")],
    institution: Annotated[str, typer.Option(help="The institution's code.")],
    place: Annotated[str, typer.Option(help="The ward or hall it hangs in, as its staff name it.")],
) -> None:
    """Register an installed box: from next Saturday on, each week needs an opening."""

    async def work(database: Database, now: datetime) -> int:
        async with database.write_session() as session:
            box = await service.register_box(session, code, institution, place, now)
            await session.commit()
            return box.id

    console.print(f"Box {database_work(work)} registered.")


@boxes_cli.command("list")
def list_boxes() -> None:
    """Every box: code, institution, state, last opening, weeks missed."""

    async def work(database: Database, now: datetime) -> list[service.BoxInfo]:
        async with database.sessions() as session:
            return await service.boxes(session, None, now)

    for info in database_work(work):
        last = info.last_opened_at.isoformat() if info.last_opened_at else "-"
        typer.echo(
            f"{info.code}\t{info.institution}\t{info.state}\t{last}\t{len(info.missed_weeks)}\t{escape(info.place)}"
        )


@boxes_cli.command("remove")
def remove(code: Annotated[str, typer.Argument(help="The box's code.")]) -> None:
    """Mark a box removed: no weeks are owed after now."""

    async def work(database: Database, now: datetime) -> None:
        async with database.write_session() as session:
            await service.remove_box(session, code, now)
            await session.commit()

    database_work(work)
    console.print(f"Box {escape(code)} removed.")


@boxes_cli.command("slips")
def slips(
    count: Annotated[int, typer.Option(min=1, max=service.MAX_SLIPS, help="How many slips.")],
    out: Annotated[Path, typer.Option(help="The PDF to write (must not exist).")],
    language: Annotated[str, typer.Option(help="fa or en.")] = "fa",
) -> None:
    """Make a batch of token slips and write the printable PDF, with progress."""
    if language not in {"fa", "en"}:
        raise typer.BadParameter("fa or en", param_hint="--language")
    # Created first, exclusively and private, so no one else can read the tokens meanwhile.
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "making slips" if stage == "slips" else "laying out pages"
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        async def work(database: Database, now: datetime) -> bytes:
            return await service.generate_batch(
                database, count, creator="operator", now=now, progress=progress, language=language
            )

        try:
            pdf = database_work(work)
        except BaseException:
            os.close(descriptor)
            out.unlink()
            raise
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pdf)
    console.print(f"{count} slips written to {escape(str(out))}. Print, then delete the file.")


@boxes_cli.command("verify-minutes")
def verify_minutes(pdf: Annotated[Path, typer.Argument(help="A copy of an opening's minutes.")]) -> None:
    """Is this copy exactly the minutes recorded for an opening? (Exit 1 if not.)"""
    data = pdf.read_bytes()

    async def work(database: Database, _: datetime) -> str | None:
        async with database.sessions() as session:
            return await service.verify_minutes(session, data)

    found = database_work(work)
    if found is None:
        console.print("These minutes match no recorded opening: the copy was changed, or is not ours.")
        raise typer.Exit(1)
    typer.echo(f"These are the minutes recorded for opening {found}.")
