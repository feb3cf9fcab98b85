"""Through a real server process: the ``seda report`` CLI round trip, and planted canaries
that must appear nowhere — no table, no log line, no file of the server (DESIGN.md §2.1-2, §2.5)."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import msgspec
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

import crypto
from kiosk_client.client import SedaClient
from server.db.models import Report
from server.demo.keys import DemoKeys
from tests.intake_support import (
    LiveServer,
    Officer,
    draft,
    dump_tables,
    file_haystacks,
    secret_needles,
    seeded_sqlite,
)

SEDA = str(Path(sys.executable).parent / "seda")


def report_cli(
    server: LiveServer, keys: DemoKeys, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEDA_")}
    env["SEDA_ROOT_PUBLIC_KEY"] = keys.root_public.hex()
    return subprocess.run(
        [SEDA, "report", *args, "--server", server.base_url],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_cli_submits_and_reads_status_and_an_officers_reply(
    seeded_any: tuple[str, DemoKeys], tmp_path: Path
) -> None:
    url, keys = seeded_any
    with LiveServer(url, tmp_path) as server:
        submitted = report_cli(
            server,
            keys,
            "submit",
            "--institution",
            "tehran-central",
            "--category",
            "health",
            "--concerns",
            "staff_member",
            "--reporter-type",
            "lawyer",
            stdin="موکل من دارو دریافت نمی‌کند.",
        )
        assert submitted.returncode == 0, submitted.stderr
        token = submitted.stdout.strip()
        parsed = crypto.parse_token(token)
        status = report_cli(server, keys, "status", token)
        assert status.returncode == 0, status.stderr
        assert "status: received" in status.stdout
        report_id = _only_report_id(url)
        body = next(line for line in status.stdout.splitlines() if line.startswith("bodies: "))
        officer_body = body.removeprefix("bodies: ").split(", ")[0]
        Officer(url, keys, officer_body).reply(report_id, "پرونده بررسی می‌شود.")
        after = report_cli(server, keys, "status", parsed.grouped(persian=True))
        from_stdin = report_cli(server, keys, "status", "-", stdin=parsed.grouped() + "\n")
    assert after.returncode == 0, after.stderr
    assert "  | پرونده بررسی می‌شود." in after.stdout
    assert f"listed as from {officer_body}" in after.stdout
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == after.stdout


def test_without_a_server_the_cli_seals_nothing_and_prints_no_token(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    server = LiveServer(url, tmp_path)  # never started: nothing listens on its port
    result = report_cli(
        server, keys, "submit", "--institution", "tehran-central", "--category", "health", stdin="x"
    )
    assert result.returncode == 1  # the directory could not be fetched: nothing was sealed
    assert result.stdout == ""


def _only_report_id(url: str) -> str:
    async def work() -> str:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return str((await connection.execute(select(Report.id))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(work())


def test_canaries_in_text_identity_and_token_appear_nowhere(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    canary = "CANARY" + secrets.token_hex(8)
    with LiveServer(url, tmp_path) as server:
        submitted = report_cli(
            server,
            keys,
            "submit",
            "--institution",
            "tehran-central",
            "--category",
            "ill_treatment",
            "--concerns",
            "staff_member",
            "--name",
            f"{canary}-name",
            "--contact",
            f"{canary}-contact",
            stdin=f"{canary}-text",
        )
        assert submitted.returncode == 0, submitted.stderr
        token = crypto.parse_token(submitted.stdout.strip())
        assert report_cli(server, keys, "status", token.grouped()).returncode == 0
        follow = report_cli(
            server, keys, "follow-up", token.grouped(), "--retaliation", stdin=f"{canary}-more"
        )
        assert follow.returncode == 0, follow.stderr
        _drive_errors(server, canary)
    lookup_secret = crypto.derive_from_token(token).lookup_secret
    needles = secret_needles(canary, token, lookup_secret)
    haystacks = {"database": dump_tables(url), "log": server.log_path.read_bytes()}
    haystacks |= file_haystacks(tmp_path)
    assert haystacks["log"].count(b'"event": "request"') >= 8, "the server must have logged the requests"
    found = [
        (name, where) for name, needle in needles.items() for where, hay in haystacks.items() if needle in hay
    ]
    assert not found, f"canaries leaked: {found}"


def _drive_errors(server: LiveServer, canary: str) -> None:
    """Requests that fail, each carrying the canary where a careless server would echo it."""
    with httpx.Client(base_url=server.base_url) as http:
        http.post(
            "/api/v1/reports",
            content=f'{{"envelope": "{canary}"}}',
            headers={"content-type": "application/json"},
        )
        http.post("/api/v1/reports", content=canary.encode(), headers={"content-type": "application/json"})
        http.get(f"/api/v1/uploads/{canary}")
        http.get(f"/api/v1/puzzle?q={canary}", headers={"user-agent": canary, "x-forwarded-for": canary})
        http.post("/api/v1/status", json={"lookup_secret": canary})
        answer = http.put(f"/api/v1/uploads/{canary}/chunks/0", content=canary.encode())
        assert canary not in answer.text


def test_concurrent_copies_of_one_submission_store_one_report(
    seeded_any: tuple[str, DemoKeys], tmp_path: Path
) -> None:
    url, keys = seeded_any
    with LiveServer(url, tmp_path, workers=2, puzzle_bits=0) as server:
        client = SedaClient(httpx.Client(base_url=server.base_url), keys.root_public)
        body = client.build_submission(draft(), crypto.derive_from_token(crypto.new_token()))
        payload = msgspec.json.encode(body)

        def send(_: int) -> tuple[int, bytes]:
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                answer = http.post(
                    "/api/v1/reports", content=payload, headers={"content-type": "application/json"}
                )
                return answer.status_code, answer.content

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(16)))
        reuse = client.build_submission(draft("دیگر"), crypto.derive_from_token(crypto.new_token()))
        reuse["lookup_verifier"] = body["lookup_verifier"]  # a token already in use
        refused = client.http.post(
            "/api/v1/reports",
            content=msgspec.json.encode(reuse),
            headers={"content-type": "application/json"},
        )
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(201) == 1, statuses
    assert set(statuses) == {200, 201}
    assert len({content for _, content in answers}) == 1  # the same receipt for every copy
    assert refused.status_code == 409
    assert _count_reports(url) == 1


def _count_reports(url: str) -> int:
    async def work() -> int:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return int((await connection.execute(select(func.count()).select_from(Report))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(work())
