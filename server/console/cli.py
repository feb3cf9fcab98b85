"""``seda officer``: console accounts from the operator's terminal (docs/CONSOLE.md).

An operator creates the first administrator of each body (who then adds the body's officers
in the console); the enrolment code is printed once, on standard output. In the demo only,
``grant-demo-key`` seals a body's demo key to an enrolled officer, standing in for the key
ceremony (production body keys never exist on the server).
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
from sqlalchemy import select

import crypto
from server.console import accounts
from server.db.lifecycle import Database
from server.db.models import Body, Officer, OfficerRole
from server.demo.keys import load_demo_keys
from server.errors import SedaError
from server.settings import Settings, SettingsError, settings_from_env

officer_cli = typer.Typer(help="Console accounts: create, list, deactivate.", no_args_is_help=True)
console = Console(stderr=True)
_T = TypeVar("_T")


def database_work(work: Callable[[Database, datetime], Awaitable[_T]]) -> _T:
    try:
        settings = settings_from_env(os.environ)
    except SettingsError as error:
        console.print(f"[red]Configuration error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from None

    async def run(settings: Settings) -> _T:
        database = Database(settings.database_url)
        try:
            return await work(database, datetime.now(UTC))
        finally:
            await database.dispose()

    try:
        return asyncio.run(run(settings))
    except SedaError as error:
        console.print(f"[red]Refused:[/red] {error.code}")
        raise typer.Exit(1) from None


@officer_cli.command("create")
def create(
    username: Annotated[str, typer.Option(help="Sign-in name: lower-case letters, digits, . _ -")],
    display_name: Annotated[str, typer.Option(help="The name shown in the console.")],
    role: Annotated[OfficerRole, typer.Option(help="The account's role.")] = OfficerRole.BODY_ADMIN,
    body: Annotated[str | None, typer.Option(help="The body's code (every role but operator).")] = None,
) -> None:
    """Create an account and print its one-time enrolment code (valid 7 days)."""

    async def work(database: Database, now: datetime) -> str:
        async with database.write_session() as session:
            body_id = await session.scalar(select(Body.id).where(Body.code == body)) if body else None
            if body and body_id is None:
                console.print("[red]No such body.[/red]")
                raise typer.Exit(1)
            _, code = await accounts.create_officer(
                session,
                username=username,
                display_name=display_name,
                role=role,
                body_id=body_id,
                now=now,
                by="operator",
            )
            await session.commit()
            return code

    code = database_work(work)
    console.print(f"Account {escape(username)} created. Give its holder this enrolment code, in person:")
    typer.echo(code)


@officer_cli.command("list")
def list_officers() -> None:
    """Every account: username, role, body, enrolled, active."""

    async def work(database: Database, _now: datetime) -> list[tuple[str, str, str, bool, bool]]:
        async with database.sessions() as session:
            rows = await session.execute(
                select(Officer.username, Officer.role, Body.code, Officer.enrolled_at, Officer.active)
                .outerjoin(Body, Body.id == Officer.body_id)
                .order_by(Officer.id)
            )
            return [(u, r.value, b or "-", e is not None, a) for u, r, b, e, a in rows.all()]

    for username, role, body, enrolled, active in database_work(work):
        state = ("enrolled" if enrolled else "waiting", "active" if active else "off")
        typer.echo("\t".join((username, role, body, *state)))


@officer_cli.command("deactivate")
def deactivate(username: Annotated[str, typer.Argument(help="The account to end.")]) -> None:
    """End an account: no sign-in, sessions ended, body-key grants deleted."""

    async def work(database: Database, now: datetime) -> None:
        async with database.write_session() as session:
            target = await session.scalar(select(Officer).where(Officer.username == username))
            if target is None:
                console.print("[red]No such account.[/red]")
                raise typer.Exit(1)
            await accounts.deactivate(session, target, None, now)
            await session.commit()

    database_work(work)
    console.print(f"Account {escape(username)} deactivated. Rotate the body's key at the next ceremony.")


@officer_cli.command("grant-demo-key")
def grant_demo_key(
    username: Annotated[str, typer.Argument(help="An enrolled officer of a demo body.")],
    keys_dir: Annotated[Path, typer.Option(help="The demo keys (SEDA_DEMO_KEYS_DIR).")] = Path(
        "var/demo-keys"
    ),
) -> None:
    """Demo only: seal the body's demo key to the officer (the key ceremony's stand-in)."""
    keys = load_demo_keys(keys_dir)
    if keys is None:
        console.print("[red]No demo keys there: this command is for the demo only.[/red]")
        raise typer.Exit(2)

    async def work(database: Database, now: datetime) -> str:
        async with database.write_session() as session:
            target = await session.scalar(select(Officer).where(Officer.username == username))
            body = await session.get(Body, target.body_id) if target and target.body_id else None
            seed = keys.body_seeds.get(body.code) if body else None
            if target is None or target.public_key is None or body is None or seed is None:
                console.print("[red]No enrolled officer of a demo body by that name.[/red]")
                raise typer.Exit(1)
            public = target.public_key
            grant = crypto.grant_body_key(seed, public, crypto.key_fingerprint(public))
            body_key_id = crypto.public_key_of(seed).key_id
            await accounts.store_grant(
                session, target, body_key_id=body_key_id, grant=grant, by=None, now=now
            )
            await session.commit()
            return body.code

    body_code = database_work(work)
    console.print(f"Granted the demo key of {escape(body_code)} to {escape(username)}.")
