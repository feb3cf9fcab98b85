"""``seda-kiosk``: the kiosk program (docs/KIOSK.md).

``enroll`` makes the device key; ``run`` serves the touch screen and shows it in Chromium;
``submit``, ``send`` and ``status`` are the headless mode, on the same code as the screen,
for tests and operators. A token is printed once, on standard output, only after its report
is on disk; a token to look up is read from standard input (never from the command line,
which other users of the machine can read).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

import crypto
from kiosk_client.cli import pinned_root
from kiosk_client.client import ClientError, UnavailableError
from kiosk_client.device import Device, NotEnrolledError, enrol
from kiosk_client.kiosk import PERMANENT, Kiosk, KioskSettings, OutOfServiceError, Waiting

kiosk_cli = typer.Typer(
    help="The Sedā kiosk: enrol, run the touch screen, or work headless.", no_args_is_help=True
)
console = Console(stderr=True)


def _default_home() -> Path:
    return Path(os.environ.get("SEDA_KIOSK_HOME", Path.home() / ".local/share/seda-kiosk"))


HomeOption = Annotated[
    Path, typer.Option(help="The kiosk's files (SEDA_KIOSK_HOME).", default_factory=_default_home)
]


def _settings() -> KioskSettings:
    """Timings from SEDA_KIOSK_DELAY_LOW/HIGH, SEDA_KIOSK_RETRY, SEDA_KIOSK_INACTIVITY (seconds)."""
    defaults = KioskSettings()
    try:
        return KioskSettings(
            delay_low=float(os.environ.get("SEDA_KIOSK_DELAY_LOW", defaults.delay_low)),
            delay_high=float(os.environ.get("SEDA_KIOSK_DELAY_HIGH", defaults.delay_high)),
            retry=float(os.environ.get("SEDA_KIOSK_RETRY", defaults.retry)),
            inactivity=float(os.environ.get("SEDA_KIOSK_INACTIVITY", defaults.inactivity)),
        )
    except ValueError:
        console.print("[red]A SEDA_KIOSK_* timing is not a number of seconds.[/red]")
        raise typer.Exit(2) from None


def open_kiosk(home: Path) -> Kiosk:
    try:
        device = Device.load(home)
    except NotEnrolledError:
        console.print(f"[red]No enrolled kiosk in {home}.[/red] Run: seda-kiosk enroll")
        raise typer.Exit(2) from None
    return Kiosk(device, httpx.Client(base_url=device.server, timeout=30.0), _settings())


@kiosk_cli.command("enroll")
def enroll(
    server: Annotated[str, typer.Option(help="The Sedā server's address.")],
    code: Annotated[str, typer.Option(help="The one-time code from `seda kiosk add`.")],
    home: HomeOption,
    root_public: Annotated[
        str | None,
        typer.Option(help="The root key to pin (hex). Default: SEDA_ROOT_PUBLIC_KEY, else the demo's."),
    ] = None,
) -> None:
    """Make this kiosk's device key and enrol it; an operator then approves its fingerprint."""
    root = pinned_root(root_public)
    try:
        done = enrol(home, httpx.Client(base_url=server, timeout=30.0), server, code, root)
    except (NotEnrolledError, httpx.TransportError) as error:
        console.print(f"[red]Not enrolled:[/red] {type(error).__name__}")
        raise typer.Exit(1) from None
    console.print(
        f"Kiosk {done.kiosk_id} of {done.institution} enrolled. Read this fingerprint to the operator:"
    )
    typer.echo(done.fingerprint)


@kiosk_cli.command("submit")
def submit(  # noqa: PLR0917 (the report's fields, as options)
    home: HomeOption,
    report_type: Annotated[
        str, typer.Option(help="complaint, suggestion, criticism, objection.")
    ] = "complaint",
    category: Annotated[str, typer.Option(help="A category code, e.g. health.")] = "health",
    concerns: Annotated[str, typer.Option(help="Whom it concerns, e.g. staff_member.")] = "none",
    urgency: Annotated[str, typer.Option(help="normal or urgent.")] = "normal",
    name: Annotated[str | None, typer.Option(help="Sign with this name (sealed; default anonymous).")] = None,
) -> None:
    """Seal a report (its text from standard input) into the outbox; print its token."""
    text = sys.stdin.read().strip()
    if not text:
        console.print("[red]Give the report's text on standard input.[/red]")
        raise typer.Exit(2)
    kiosk = open_kiosk(home)
    identity = crypto.ReporterIdentity(name=name) if name else None
    draft = kiosk.draft(
        text,
        report_type=report_type,
        category=category,
        concerns=concerns,
        urgency=urgency,
        identity=identity,
    )
    try:
        token = kiosk.file(draft)
    except OutOfServiceError:
        console.print("[red]Out of service:[/red] no verified directory and policy; nothing was sealed.")
        raise typer.Exit(1) from None
    console.print("Sealed and kept; it will be sent within the delay window. The token:")
    typer.echo(token.grouped())


@kiosk_cli.command("send")
def send(
    home: HomeOption,
    until_empty: Annotated[bool, typer.Option(help="Keep sending until the outbox is empty.")] = False,
    timeout: Annotated[
        float, typer.Option(help="With --until-empty: give up after this many seconds.")
    ] = 600.0,
) -> None:
    """Send the outbox's due reports (each at its own random moment)."""
    kiosk = open_kiosk(home)
    deadline = time.monotonic() + timeout
    while True:
        for report_id in kiosk.send_due():
            typer.echo(f"delivered {report_id}")
        left = kiosk.outbox.count()
        if not until_empty or left == 0:
            break
        if time.monotonic() >= deadline:
            console.print(f"[red]{left} reports still waiting.[/red]")
            raise typer.Exit(1)
        time.sleep(0.2)
    console.print(f"{kiosk.outbox.count()} reports waiting in the outbox.")
    refused = [code for code in kiosk.outbox.refusals() if code in PERMANENT]
    if refused:  # codes only, never content: the operator must look into these
        console.print(f"[red]{len(refused)} refused for good:[/red] {', '.join(sorted(set(refused)))}")
        raise typer.Exit(1)


@kiosk_cli.command("status")
def status(home: HomeOption) -> None:
    """A report's status and replies; the token from standard input."""
    try:
        token = crypto.parse_token(sys.stdin.readline().strip())
    except crypto.TokenFormatError:
        console.print("[red]That is not a valid token (20 digits; a digit may be mistyped).[/red]")
        raise typer.Exit(2) from None
    kiosk = open_kiosk(home)
    try:
        found = kiosk.status(token)
    except OutOfServiceError:
        console.print("[red]Out of service:[/red] no verified directory and policy.")
        raise typer.Exit(1) from None
    except (ClientError, UnavailableError) as error:
        console.print(f"[red]Not found or not reachable:[/red] {error.code}")
        raise typer.Exit(1) from None
    if isinstance(found, Waiting) and found.undeliverable:
        typer.echo("undeliverable: the server refused it for good; file it again")
        return
    if isinstance(found, Waiting):
        typer.echo("waiting: sealed in this kiosk's outbox, not sent yet")
        return
    typer.echo(f"delivered: {found.view.status}")
    for reply in found.replies:
        typer.echo(
            f"reply ({reply.body or '-'}): {reply.text if reply.text is not None else '[did not open]'}"
        )


@kiosk_cli.command("run")
def run_screen(
    home: HomeOption,
    browser: Annotated[bool, typer.Option(help="Show the screen in Chromium (kiosk mode).")] = True,
    port: Annotated[int | None, typer.Option(help="The local port (default: a free one).")] = None,
    speech: Annotated[
        str | None, typer.Option(help="Read-aloud program (default espeak-ng if installed; 'none' for off).")
    ] = None,
    printer: Annotated[
        Path | None,
        typer.Option(help="The receipt printer's device (SEDA_KIOSK_PRINTER), e.g. /dev/usb/lp0."),
    ] = None,
) -> None:
    """Serve the touch screen on 127.0.0.1 and show it; the outbox is sent meanwhile."""
    from kiosk_client.screen.run import run  # noqa: PLC0415 (the screen's libraries, only here)

    chosen_speech = (
        speech or os.environ.get("SEDA_KIOSK_SPEECH") or ("espeak-ng" if shutil.which("espeak-ng") else None)
    )
    printer = printer or (
        Path(os.environ["SEDA_KIOSK_PRINTER"]) if os.environ.get("SEDA_KIOSK_PRINTER") else None
    )
    try:
        Device.load(home)
    except NotEnrolledError:
        console.print(f"[red]No enrolled kiosk in {home}.[/red] Run: seda-kiosk enroll")
        raise typer.Exit(2) from None
    run(
        home,
        _settings(),
        browser=browser,
        port=port,
        speech=None if chosen_speech == "none" else chosen_speech,
        printer=printer,
    )


def main() -> None:
    kiosk_cli()
