"""``seda report``: file a report and follow it from a terminal, sealed on this machine.

The token is printed once, on standard output (so a script can capture it); everything
else goes to standard error. A token given on the command line is visible to other users
of this machine (``ps``): pass ``-`` to read it from standard input instead.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.markup import escape

import crypto
from kiosk_client.client import (
    Attachment,
    ClientError,
    OutcomeUnknownError,
    ReportDraft,
    SedaClient,
    TrustError,
    UnavailableError,
)
from routing.deadlines import LOCAL_ZONE

report_cli = typer.Typer(help="File a sealed report and follow it by its token.", no_args_is_help=True)
console = Console(stderr=True)

ServerOption = Annotated[str, typer.Option(help="The Sedā server's address.")]
RootOption = Annotated[
    str | None,
    typer.Option(
        help="The pinned root public key (hex). Default: SEDA_ROOT_PUBLIC_KEY, else the demo's root.pub."
    ),
]


def pinned_root(root_public: str | None) -> bytes:
    """The root key to pin: given, else SEDA_ROOT_PUBLIC_KEY, else the demo's (said so)."""
    text = root_public or os.environ.get("SEDA_ROOT_PUBLIC_KEY", "")
    if not text:
        demo = Path(os.environ.get("SEDA_DEMO_KEYS_DIR", "var/demo-keys")) / "root.pub"
        try:
            text = demo.read_text(encoding="ascii").strip()
        except OSError:
            text = ""
        else:
            console.print(f"[yellow]Pinned the demo root key from {demo}.[/yellow]")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        console.print("[red]Give the root public key to pin (--root-public, 64 hex digits).[/red]")
        raise typer.Exit(2)
    return key


def _client(server: str, root_public: str | None) -> SedaClient:
    return SedaClient(httpx.Client(base_url=server, timeout=30.0), pinned_root(root_public))


def _fail(error: Exception) -> typer.Exit:
    if isinstance(error, UnavailableError):
        console.print(f"[red]The server did not answer or stayed busy[/red] ({_safe(error.code)}).")
    elif isinstance(error, ClientError):
        console.print(
            f"[red]The server refused it:[/red] {_safe(error.code)} ({error.status}). Nothing was stored."
        )
    elif isinstance(error, TrustError):
        console.print("[red]The server's directory does not verify against the pinned root key.[/red]")
    else:
        console.print(f"[red]Failed:[/red] {type(error).__name__}")
    return typer.Exit(1)


@report_cli.command("submit")
def submit(  # noqa: PLR0917 (typer: one option per report field)
    institution: Annotated[str, typer.Option(help="Institution code (see the directory).")],
    category: Annotated[str, typer.Option(help="Category code, e.g. health.")],
    text_file: Annotated[str, typer.Option("--text", help="File with the report's text; - for stdin.")] = "-",
    report_type: Annotated[
        str, typer.Option("--type", help="complaint, objection, suggestion, criticism.")
    ] = "complaint",
    concerns: Annotated[str, typer.Option(help="Whom it concerns, e.g. staff_member.")] = "none",
    reporter_type: Annotated[str, typer.Option(help="prisoner, family, lawyer, staff, citizen.")] = "citizen",
    channel: Annotated[
        str, typer.Option(help="web (kiosk reports need an enrolled kiosk: seda-kiosk).")
    ] = "web",
    urgency: Annotated[str, typer.Option(help="normal or urgent.")] = "normal",
    name: Annotated[str | None, typer.Option(help="Sign with this name (sealed; default anonymous).")] = None,
    contact: Annotated[str, typer.Option(help="Contact details, sealed with the name.")] = "",
    attach: Annotated[list[Path] | None, typer.Option(help="A file to attach (sealed); repeatable.")] = None,
    add_body: Annotated[
        list[str] | None, typer.Option(help="An extra body to send it to; repeatable.")
    ] = None,
    server: ServerOption = "http://127.0.0.1:8000/",
    root_public: RootOption = None,
) -> None:
    """Seal a report on this machine and submit it; prints the tracking token."""
    try:
        text = sys.stdin.read() if text_file == "-" else Path(text_file).read_text(encoding="utf-8")
        attachments = [
            Attachment(path.name, "application/octet-stream", path.read_bytes()) for path in attach or []
        ]
    except (OSError, UnicodeDecodeError):
        console.print("[red]Cannot read the text or an attachment.[/red]")
        raise typer.Exit(2) from None
    draft = ReportDraft(
        institution=institution,
        report_type=report_type,
        category=category,
        concerns=concerns,
        reporter_type=reporter_type,
        channel=channel,
        urgency=urgency,
        text=text,
        identity=crypto.ReporterIdentity(name=name, contact=contact) if name else None,
        attachments=attachments,
        reporter_choices=list(add_body or []),
    )
    client = _client(server, root_public)
    try:
        submitted = client.submit(draft)
    except OutcomeUnknownError as unknown:
        console.print(
            "[yellow]No answer came from the server: the report may or may not be stored.[/yellow] "
            "Keep the token below and check it later with `seda report status`; if it is not "
            "found, file the report again."
        )
        typer.echo(unknown.token.grouped())
        raise typer.Exit(3) from None
    except (ClientError, TrustError, crypto.CryptoError, ValueError) as error:
        raise _fail(error) from None
    receipt = submitted.receipt
    console.print(f"[green]Stored.[/green] Sent to: {_safe(', '.join(receipt.recipients))}")
    console.print(
        f"Acknowledgement due by {_local(receipt.acknowledge_by)}." if receipt.acknowledge_by else ""
    )
    console.print("Keep this token secret: it is the only way to follow the report, and it cannot be reset.")
    typer.echo(submitted.token.grouped())


# Persian needs the zero-width (non-)joiner and the direction marks; every other control or
# format character (new lines, escapes, bidi overrides) is replaced.
_KEPT_FORMAT = frozenset("\u200c\u200d\u200e\u200f")


def _plain(text: str) -> str:
    """Text the server supplied, made harmless for a terminal: no control characters, no
    bidi overrides and no new lines, so a hostile server cannot draw a fake reply."""
    return "".join(
        ch if ch in _KEPT_FORMAT or not unicodedata.category(ch).startswith(("C", "Z")) or ch == " " else "?"
        for ch in text
    )


def _safe(text: str) -> str:
    """``_plain`` for rich output (markup escaped too)."""
    return escape(_plain(text))


def _local(moment: datetime) -> str:
    """Times as the reporter reads them: Tehran local time (deadlines are set in it)."""
    return f"{moment.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M} (Tehran)"


def _token(token: str) -> crypto.TrackingToken:
    text = sys.stdin.readline().strip() if token == "-" else token  # noqa: S105 ("-" means stdin)
    try:
        return crypto.parse_token(text)
    except crypto.TokenFormatError as error:
        console.print(f"[red]That is not a valid token[/red] ({error.reason}); check the digits.")
        raise typer.Exit(2) from None


@report_cli.command("status")
def status(
    token: Annotated[str, typer.Argument(help="The tracking token, or - to read it from stdin.")],
    server: ServerOption = "http://127.0.0.1:8000/",
    root_public: RootOption = None,
) -> None:
    """Show a report's status, deadlines and replies (opened on this machine)."""
    parsed = _token(token)
    client = _client(server, root_public)
    try:
        found = client.status(parsed)
    except (ClientError, TrustError, crypto.CryptoError) as error:
        if isinstance(error, ClientError) and error.code == "not-found":
            console.print("[red]No report has this token.[/red]")
            raise typer.Exit(1) from None
        raise _fail(error) from None
    view = found.view
    typer.echo(f"status: {_plain(view.status)}{'  (retaliation reported)' if view.retaliation else ''}")
    typer.echo(f"received: {_local(view.received_hour)}")
    if view.acknowledge_by and view.feedback_by:
        typer.echo(f"acknowledge by: {_local(view.acknowledge_by)}")
        typer.echo(f"answer by: {_local(view.feedback_by)}")
    for item in view.history:
        body = f"  ({_plain(item.body)})" if item.body else ""
        typer.echo(f"  {_local(item.at_hour)}  {_plain(item.status)}{body}")
    typer.echo("bodies: " + ", ".join(_plain(r.body) for r in view.recipients))
    if view.protection_requested:
        typer.echo("protection: asked for")
    for measure in view.measures:
        body = f"  ({_plain(measure.body)})" if measure.body else ""
        typer.echo(f"protection measure: {_local(measure.at_hour)}  {_plain(measure.measure)}{body}")
    for reply in found.replies:
        # The text is authenticated (thread key); who sent it and when are the server's word.
        typer.echo(f"reply ({_local(reply.at_hour)}, listed as from {_plain(reply.body or 'a body')}):")
        if reply.text is None:
            typer.echo("  [did not authenticate: ignored]")
        for line in (reply.text or "").splitlines():
            typer.echo("  | " + _plain(line))


@report_cli.command("follow-up")
def follow_up(  # noqa: PLR0917 (typer: one option per flag)
    token: Annotated[str, typer.Argument(help="The tracking token, or - to read it from stdin.")],
    text_file: Annotated[str, typer.Option("--text", help="File with the message; - for stdin.")] = "-",
    retaliation: Annotated[
        bool, typer.Option(help="Report retaliation: marks and escalates the case.")
    ] = False,
    protection: Annotated[
        bool, typer.Option(help="Ask for protection (material, moral or judicial support).")
    ] = False,
    server: ServerOption = "http://127.0.0.1:8000/",
    root_public: RootOption = None,
) -> None:
    """Send more information (or a retaliation report, or a request for protection) to the
    report's bodies."""
    parsed = _token(token)
    try:
        text = sys.stdin.read() if text_file == "-" else Path(text_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        console.print("[red]Cannot read the text.[/red]")
        raise typer.Exit(2) from None
    try:
        receipt = _client(server, root_public).follow_up(
            parsed, text, retaliation=retaliation, protection=protection
        )
    except (ClientError, TrustError, crypto.CryptoError) as error:
        raise _fail(error) from None
    added = f" Also sent to: {_safe(', '.join(receipt.added_bodies))}." if receipt.added_bodies else ""
    console.print(f"[green]Sent.[/green]{added}")
