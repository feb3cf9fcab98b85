"""A paper receipt with the token, for the person to take away: ESC/POS (the language of
receipt printers) written to the printer's device (``SEDA_KIOSK_PRINTER``, e.g.
``/dev/usb/lp0``: a character device, or a pipe to a spooler). Latin digits in big type,
since such printers rarely hold a Persian font.
The receipt is the one place a token leaves the screen; nothing else of the report is on it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import crypto
from kiosk_client.screen.texts import Texts

_INIT = b"\x1b@"
_CENTRE = b"\x1ba\x01"
_BIG = b"\x1d!\x11"
_NORMAL = b"\x1d!\x00"
_CUT = b"\x1dVB\x00"


def receipt_bytes(token: crypto.TrackingToken) -> bytes:
    return b"".join(
        (
            _INIT,
            _CENTRE,
            b"Seda - tracking code\n\n",
            _BIG,
            "\n".join(token.grouped().split("-")).encode("ascii"),
            b"\n\n",
            _NORMAL,
            b"Keep it to yourself. With it you can\nread the replies at a kiosk or on the web.\n\n\n",
            _CUT,
        )
    )


class Printer:
    def __init__(self, device: Path) -> None:
        self.device = device

    def print_token(self, token: crypto.TrackingToken, texts: Texts) -> bool:
        """True when the printer took the receipt."""
        del texts  # the receipt is in Latin letters whatever the screen's language
        try:
            # A printer that is there, never a file made here: the token must not land on a disk.
            descriptor = os.open(self.device, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
        except OSError:
            return False
        try:
            if not (
                stat.S_ISCHR(os.fstat(descriptor).st_mode) or stat.S_ISFIFO(os.fstat(descriptor).st_mode)
            ):
                return False
            os.write(descriptor, receipt_bytes(token))
        except OSError:
            return False
        finally:
            os.close(descriptor)
        return True
