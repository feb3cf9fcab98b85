"""The kiosk against a real server process (docs/KIOSK.md): twenty reports filed while the
server is down all arrive once it is back, each within the delay window; and a kiosk killed
(SIGKILL) at random moments while filing and sending still delivers, exactly once, every
report whose token it showed. The figures are printed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import crypto
from kiosk_client.client import SedaClient
from kiosk_client.kiosk import Kiosk, KioskSettings
from tests.intake_support import LiveServer, seeded_sqlite
from tests.kiosk_support import enrolled_kiosk, kiosk_reports

OFFLINE_REPORTS = 20
WINDOW = (12.0, 20.0)  # seconds: longer than filing twenty reports and restarting the server
KILLS = int(os.environ.get("SEDA_TEST_KIOSK_KILLS", "10"))


def _text(n: int) -> str:
    return f"گزارش شمارهٔ {n} از کیوسک"


def test_reports_filed_offline_arrive_once_each_within_the_delay_window(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, figures: list[str]
) -> None:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    server = LiveServer(url, tmp_path)
    server.start()
    http = httpx.Client(base_url=server.base_url, timeout=10.0)
    device = enrolled_kiosk(url, http, server.base_url, tmp_path / "kiosk", keys.root_public)
    kiosk = Kiosk(device, http, KioskSettings(delay_low=WINDOW[0], delay_high=WINDOW[1], retry=0.5))
    kiosk.documents()  # verified and kept while the server answered
    server.stop()

    filed: dict[str, float] = {}
    drawn: dict[str, float] = {}
    tokens = []
    for n in range(OFFLINE_REPORTS):
        tokens.append(
            kiosk.file(kiosk.draft(_text(n), report_type="complaint", category="health", concerns="none"))
        )
        (row,) = [item for item in kiosk.outbox.due(time.time() + 3600) if item.report_id not in filed]
        filed[row.report_id] = time.time()
        drawn[row.report_id] = row.send_after
    assert kiosk.send_due() == []  # nothing is due yet, and the server is down anyway
    server.start()
    arrived: dict[str, float] = {}
    deadline = time.time() + WINDOW[1] + 30
    while len(arrived) < OFFLINE_REPORTS and time.time() < deadline:
        for report_id in kiosk.send_due():
            assert report_id not in arrived
            arrived[report_id] = time.time()
        time.sleep(0.05)
    server.stop()

    delays = sorted(arrived[r] - filed[r] for r in arrived)
    figures.append(
        f"kiosk offline: {OFFLINE_REPORTS} filed with the server down, {len(arrived)} arrived, "
        f"{len(set(kiosk_reports(url)))} stored; delays {delays[0]:.1f}-{delays[-1]:.1f} s "
        f"(window {WINDOW[0]:.0f}-{WINDOW[1]:.0f} s)"
    )
    assert set(arrived) == set(filed)
    assert sorted(kiosk_reports(url)) == sorted(filed)  # each stored once
    # Each moment drawn within the window, and no report sent before its moment. How late
    # after it a report goes depends on the machine's load (sends are serial), not the kiosk.
    for report_id, moment in drawn.items():
        assert WINDOW[0] - 1.0 <= moment - filed[report_id] <= WINDOW[1]
        assert arrived[report_id] >= moment
    assert WINDOW[0] <= delays[0]
    assert kiosk.outbox.count() == 0


def _seda_kiosk(home: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SEDA_KIOSK_HOME": str(home),
        "SEDA_KIOSK_DELAY_LOW": "0",
        "SEDA_KIOSK_DELAY_HIGH": "0",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "seda-kiosk"), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def test_a_kiosk_killed_at_random_delivers_every_report_whose_token_it_showed(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, figures: list[str]
) -> None:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    chance = random.SystemRandom()
    home = tmp_path / "kiosk"
    with LiveServer(url, tmp_path) as server:
        http = httpx.Client(base_url=server.base_url, timeout=10.0)
        enrolled_kiosk(url, http, server.base_url, home, keys.root_public)
        shown: list[crypto.TrackingToken] = []
        killed = 0
        for n in range(KILLS):
            filing = _seda_kiosk(home, "submit")
            assert filing.stdin is not None
            filing.stdin.write(_text(n).encode())
            filing.stdin.close()
            time.sleep(chance.uniform(0.3, 2.0))
            if filing.poll() is None:
                filing.send_signal(signal.SIGKILL)
                killed += 1
            filing.wait(30)
            assert filing.stdout is not None
            out = filing.stdout.read().decode().strip()
            if out:
                shown.append(crypto.parse_token(out))
            if chance.random() < 0.5:  # and a sender killed half way, now and then
                sending = _seda_kiosk(home, "send")
                time.sleep(chance.uniform(0.0, 1.5))
                if sending.poll() is None:
                    sending.send_signal(signal.SIGKILL)
                    killed += 1
                sending.wait(30)
        final = _seda_kiosk(home, "send", "--until-empty", "--timeout", "60")
        assert final.wait(90) == 0

        reporter = SedaClient(http, keys.root_public, sleep=lambda _: None)
        found = [reporter.status(token).view.report_id for token in shown]
        stored = kiosk_reports(url)
        if shown:  # and the kiosk's own status command, the token on standard input
            looked = _seda_kiosk(home, "status")
            answer = looked.communicate(shown[0].grouped().encode() + b"\n", timeout=60)[0].decode()
            assert answer.startswith("delivered: received"), answer
    figures.append(
        f"kiosk power loss: {KILLS} filings, {killed} SIGKILLs, {len(shown)} tokens shown, "
        f"{len(set(found))} of them found, {len(stored)} kiosk reports stored"
    )
    assert len(set(found)) == len(shown)  # every shown token has its report
    assert len(stored) == len(set(stored))  # and none twice
    assert set(found) <= set(stored)
    assert len(stored) <= KILLS
