"""``seda kiosk``: kiosks from the operator's terminal (docs/KIOSK.md). The same acts as the
console's operator screens: make a kiosk (its one-time code printed once, on standard output),
list, approve after comparing fingerprints, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape

from server.console.cli import console, database_work
from server.db.lifecycle import Database
from server.kiosks import service

kiosk_cli = typer.Typer(help="Kiosks: add, list, approve, revoke.", no_args_is_help=True)


@kiosk_cli.command("add")
def add(
    institution: Annotated[str, typer.Option(help="The institution's code (the kiosk's ward is in it).")],
    label: Annotated[str, typer.Option(help="Where it stands, for operators (e.g. 'ward 3').")],
) -> None:
    """Make a kiosk and print its one-time enrolment code (valid 7 days)."""

    async def work(database: Database, now: datetime) -> str:
        async with database.write_session() as session:
            kiosk, code = await service.create_kiosk(
                session, institution=institution, label=label, now=now, by="operator"
            )
            await session.commit()
            console.print(f"Kiosk {kiosk.id} made; on the kiosk run: seda-kiosk enroll --code CODE")
            return code

    typer.echo(database_work(work))


@kiosk_cli.command("list")
def list_kiosks() -> None:
    """Every kiosk: id, institution, state, the fingerprint of its enrolled key."""

    async def work(database: Database, _: datetime) -> list[service.KioskInfo]:
        async with database.sessions() as session:
            return await service.kiosks(session)

    for info in database_work(work):
        typer.echo(
            f"{info.id}\t{info.institution}\t{info.state}\t{info.fingerprint or '-'}\t{escape(info.label)}"
        )


@kiosk_cli.command("approve")
def approve(
    kiosk_id: Annotated[int, typer.Argument(help="The kiosk's number.")],
    fingerprint: Annotated[str, typer.Option(help="The fingerprint the kiosk's own screen shows.")],
) -> None:
    """Approve an enrolled kiosk whose key has the fingerprint read on its screen."""

    async def work(database: Database, now: datetime) -> None:
        async with database.write_session() as session:
            await service.approve_kiosk(session, kiosk_id, fingerprint, now, "operator")
            await session.commit()

    database_work(work)
    console.print(f"Kiosk {kiosk_id} approved.")


@kiosk_cli.command("revoke")
def revoke(kiosk_id: Annotated[int, typer.Argument(help="The kiosk's number.")]) -> None:
    """Refuse the kiosk's requests from now on."""

    async def work(database: Database, now: datetime) -> None:
        async with database.write_session() as session:
            await service.revoke_kiosk(session, kiosk_id, now, "operator")
            await session.commit()

    database_work(work)
    console.print(f"Kiosk {kiosk_id} revoked.")
