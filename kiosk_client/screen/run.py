"""``seda-kiosk run``: the screen server on 127.0.0.1 (a random port unless told), the outbox's
sender beside it, and Chromium in kiosk mode with a fresh profile that is deleted when it
closes. Nothing is logged of the requests (the address holds the secret)."""

from __future__ import annotations

import contextlib
import html
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import httpx
from granian.constants import Interfaces
from granian.server.embed import Server

from kiosk_client.device import Device
from kiosk_client.kiosk import Kiosk, KioskSettings
from kiosk_client.screen.app import Screen, create_screen_app
from kiosk_client.screen.receipt import Printer
from kiosk_client.screen.speech import Speaker

CHROMIUM = Path("/usr/bin/chromium")
# Kiosk mode, nothing remembered, nothing fetched from elsewhere, no swipe back through history.
CHROMIUM_FLAGS = (
    "--kiosk",
    "--incognito",
    "--no-first-run",
    "--noerrdialogs",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-translate",
    "--disable-features=Translate,TouchpadOverscrollHistoryNavigation",
    "--overscroll-history-navigation=0",
    "--password-store=basic",
    "--disk-cache-size=1",
    "--disable-back-forward-cache",
)


# The profile goes to memory where there is a tmpfs for it, never to a disk if avoidable.
# mkdtemp makes a private (0700) folder inside it, so a shared /dev/shm is safe to use.
_MEMORY = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108  # nosec B108


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _send_forever(kiosk: Kiosk, period: float) -> None:
    while True:
        await anyio.to_thread.run_sync(kiosk.send_due)
        await anyio.sleep(period)


def start_page(profile: Path, url: str) -> Path:
    """A page in the (private, 0700) profile folder that sends Chromium on to ``url``: the
    secret address never appears on Chromium's command line, which any local user can read."""
    page = profile / "start.html"
    descriptor = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(
            '<!doctype html><meta name="referrer" content="no-referrer">'
            f'<meta http-equiv="refresh" content="0;url={html.escape(url)}">'
        )
    return page


def remove_old_profiles(parent: str | None = _MEMORY) -> None:
    """Profiles a killed kiosk left behind (its cleanup did not run)."""
    for old in Path(parent or tempfile.gettempdir()).glob("seda-kiosk-*"):
        shutil.rmtree(old, ignore_errors=True)


async def _chromium(url: str) -> None:
    """Chromium on the screen until it closes; its profile is fresh and removed afterwards."""
    await anyio.to_thread.run_sync(remove_old_profiles)
    profile = tempfile.mkdtemp(prefix="seda-kiosk-", dir=_MEMORY)
    try:
        page = start_page(Path(profile), url)
        # Its output is not read (and not kept: it can name addresses): a pipe nobody drains
        # would fill and stop the browser.
        process = await anyio.open_process(
            [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", page.as_uri()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await process.wait()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def run(
    home: Path,
    settings: KioskSettings,
    *,
    browser: bool,
    port: int | None,
    speech: str | None,
    printer: Path | None,
) -> None:
    device = Device.load(home)
    # Two kiosks on one outbox file: one for the screen, one for the sender (SQLite copes).
    # A person waits at the screen: short time-outs there (the sender may wait longer).
    on_screen = Kiosk(device, httpx.Client(base_url=device.server, timeout=5.0), settings)
    sender = Kiosk(device, httpx.Client(base_url=device.server, timeout=30.0), settings)
    screen = Screen(
        on_screen,
        settings.inactivity,
        speaker=Speaker(speech) if speech else None,
        printer=Printer(printer) if printer else None,
    )
    chosen = port or free_port()
    url = f"http://127.0.0.1:{chosen}{screen.base}"
    server = Server(
        create_screen_app(screen),
        address="127.0.0.1",
        port=chosen,
        interface=Interfaces.ASGI,
        log_enabled=False,
    )

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve)
            tasks.start_soon(_send_forever, sender, max(1.0, settings.retry / 4))
            if browser:
                await _chromium(url)
                server.stop()  # type: ignore[no-untyped-call]
                tasks.cancel_scope.cancel()
            else:
                # Headless (tests, a screen started by hand): the address goes to standard output.
                sys.stdout.write(url + "\n")
                sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(main)
