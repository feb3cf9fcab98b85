"""Sign-ins racing each other, on SQLite and PostgreSQL: parallel wrong guesses are all
counted (the lock-out holds), and one second-factor code opens one session, however many
requests carry it at once."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pyotp
from litestar.testing import AsyncTestClient, TestClient

import crypto
from server.app import create_app
from server.db.models import OfficerRole
from server.demo.keys import DemoKeys
from server.settings import Settings
from tests.console_support import Clock, Device, audit_trail, make_account
from tests.intake_support import run_coroutine

DG = "provincial_dg_prisons--tehran"
PARALLEL = 20


def _auth_value(salt: str, passphrase: str) -> str:
    secrets = crypto.derive_from_passphrase(passphrase, base64.b64decode(salt))
    return base64.b64encode(secrets.auth_value).decode()


def test_parallel_sign_ins_are_each_counted_and_a_code_opens_one_session(
    seeded_any: tuple[str, DemoKeys], figures: list[str]
) -> None:
    url, _ = seeded_any
    clock = Clock()
    app = create_app(Settings(database_url=url, puzzle_bits=0, deadline_job_seconds=0), clock=clock)
    with TestClient(app, base_url="https://seda.test") as http:
        device = Device(http, clock, "racer")
        device.enrol(make_account(url, "racer", OfficerRole.OFFICER, DG))
        salt = http.post("/console/api/salt", json={"username": "racer"}).json()["salt"]
    right = _auth_value(salt, device.passphrase)
    wrong = _auth_value(salt, "not the passphrase")

    async def at_once(auth_value: str, code: str, count: int) -> list[int]:
        async with AsyncTestClient(app, base_url="https://seda.test") as client:

            async def one() -> int:
                answer: httpx.Response = await client.post(
                    "/console/api/session", json={"username": "racer", "auth_value": auth_value, "totp": code}
                )
                return answer.status_code

            return list(await asyncio.gather(*(one() for _ in range(count))))

    totp = pyotp.TOTP(device.totp_secret)
    guesses = run_coroutine(at_once(wrong, totp.at(clock.tick()), PARALLEL))
    assert guesses == [401] * PARALLEL
    trail = [action for _, action, _, _ in audit_trail(url)]
    failed, locked = trail.count("officer.sign_in_failed"), trail.count("officer.sign_in_locked")
    # Each guess is counted: five fail, the rest meet the lock (the right answer would too).
    assert (failed, locked) == (5, PARALLEL - 5)
    assert run_coroutine(at_once(right, totp.at(clock.tick()), 1)) == [401]  # still locked

    clock.tick(3600)
    code = totp.at(clock.now)
    opened = run_coroutine(at_once(right, code, 3))
    assert sorted(opened) == [201, 401, 401]  # one session per code
    figures.append(
        f"console sign-in races ({url.split(':')[0]}): {PARALLEL} parallel wrong guesses, "
        f"{failed} counted as failures, {locked} refused by the lock; one code x3 at once, "
        f"{opened.count(201)} session"
    )
