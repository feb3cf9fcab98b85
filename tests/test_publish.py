"""Publishing signed documents, and how the server behaves without, with expired, or with
newer ones (DESIGN.md §2.7); the in-flight bound that answers 503 instead of queueing."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient
from typer.testing import CliRunner

import crypto
from crypto.directory import decode_signed, encode_signed
from server.app import create_app
from server.cli import cli
from server.db import migrate
from server.db.lifecycle import Database
from server.demo.keys import DemoKeys
from server.http import InflightLimit
from server.intake.trust import PublishError, TrustStore, publish
from server.settings import Settings
from tests.intake_support import draft, in_process_client, seeded_sqlite

Seeded = tuple[str, DemoKeys]


@pytest.fixture
def seeded(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())


def current_directory(keys: DemoKeys, url: str) -> crypto.KeyDirectory:
    with in_process_client(url, keys) as (client, _):
        return client.documents().directory


def resign(keys: DemoKeys, directory: crypto.KeyDirectory, **changes: object) -> bytes:
    changed = msgspec.structs.replace(directory, **changes)
    return encode_signed(crypto.sign_directory(changed, keys.root_seed))


def try_publish(url: str, data: bytes, root: bytes) -> str:
    async def work() -> str:
        database = Database(url)
        try:
            async with database.write_session() as session:
                try:
                    row = await publish(session, data, root, datetime.now(UTC))
                except PublishError as error:
                    return f"refused: {error}"
                await session.commit()
                return f"{row.kind} {row.serial}"
        finally:
            await database.dispose()

    return asyncio.run(work())


def test_publishing_refuses_a_wrong_root_an_old_serial_and_unknown_bodies(seeded: Seeded) -> None:
    url, keys = seeded
    directory = current_directory(keys, url)
    newer = resign(keys, directory, serial=directory.serial + 1)
    assert try_publish(url, newer, crypto.root_public_key(crypto.new_seed())).startswith("refused")
    assert try_publish(url, resign(keys, directory), keys.root_public).startswith("refused")
    fresh = crypto.public_key_of(crypto.new_seed())
    stranger = msgspec.structs.replace(
        directory.bodies[0], body="no-such-body", public_key=fresh.public_key, key_id=fresh.key_id
    )
    unknown = resign(keys, directory, serial=directory.serial + 1, bodies=[*directory.bodies, stranger])
    assert try_publish(url, unknown, keys.root_public).startswith("refused")
    assert try_publish(url, b"{}", keys.root_public).startswith("refused")
    assert try_publish(url, newer, keys.root_public) == f"directory {directory.serial + 1}"


def test_a_newer_directory_makes_old_submissions_stale_and_the_client_refreshes(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        old = client.documents()
        newer = resign(keys, old.directory, serial=old.serial + 1)
        assert try_publish(url, newer, keys.root_public).startswith("directory")
        time.sleep(TrustStore(None).recheck + 0.1)  # a process looks for newer documents this often
        receipt = client.submit(draft()).receipt  # stale first, then refreshed and resealed
        assert client.documents().serial == old.serial + 1
    assert receipt.recipients


def test_without_a_published_directory_intake_answers_503(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url)
    with TestClient(create_app(Settings(database_url=url))) as http:
        answer = http.get("/api/v1/directory")
        submission = http.post("/api/v1/status", json={"lookup_secret": "A" * 43 + "="})
    assert answer.status_code == 503
    assert answer.json()["code"] == "not-published"
    assert submission.status_code in {403, 404, 503}


def test_an_expired_directory_is_not_served_or_used(seeded: Seeded) -> None:
    url, _ = seeded
    later = datetime.now(UTC) + timedelta(days=400)
    with TestClient(create_app(Settings(database_url=url), clock=lambda: later)) as http:
        answer = http.get("/api/v1/directory")
    assert answer.status_code == 503
    assert answer.json()["code"] == "not-published"


def test_seda_publish_verifies_against_the_root_key(
    seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, keys = seeded
    directory = current_directory(keys, url)
    signed = tmp_path / "signed.json"
    signed.write_bytes(resign(keys, directory, serial=directory.serial + 1))
    monkeypatch.setenv("SEDA_DATABASE_URL", url)
    runner = CliRunner()
    wrong = crypto.root_public_key(crypto.new_seed()).hex()
    refused = runner.invoke(cli, ["publish", str(signed), "--root-public", wrong])
    accepted = runner.invoke(cli, ["publish", str(signed), "--root-public", keys.root_public.hex()])
    assert refused.exit_code == 1
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(decode_signed(signed.read_bytes()).document)["serial"] == directory.serial + 1


def test_requests_beyond_the_in_flight_bound_are_answered_503_at_once() -> None:
    release = asyncio.Event()
    sent: list[dict[str, object]] = []

    async def slow_app(*_: object) -> None:
        await release.wait()

    async def record(message: dict[str, object]) -> None:
        sent.append(message)

    async def scenario() -> None:
        limit = InflightLimit(slow_app, 1)
        scope = {"type": "http", "path": "/api/v1/reports", "method": "POST"}
        first = asyncio.create_task(limit(scope, None, record))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        await limit(scope, None, record)  # type: ignore[arg-type]
        assert limit.inflight == 1
        release.set()
        await first
        assert limit.inflight == 0

    asyncio.run(scenario())
    assert sent[0]["status"] == 503
    headers = dict(sent[0]["headers"])  # type: ignore[call-overload]
    assert headers[b"retry-after"] == b"2"
    assert json.loads(sent[1]["body"])["code"] == "unavailable"  # type: ignore[arg-type]


def test_a_reporter_can_follow_a_report_while_no_directory_is_valid(seeded: Seeded) -> None:
    url, keys = seeded
    with in_process_client(url, keys) as (client, _):
        submitted = client.submit(draft())
    later = datetime.now(UTC) + timedelta(days=400)
    app = create_app(Settings(database_url=url, puzzle_bits=0), clock=lambda: later)
    with TestClient(app) as http:
        secrets = crypto.derive_from_token(submitted.token)
        answer = http.post(
            "/api/v1/status", json={"lookup_secret": base64.b64encode(secrets.lookup_secret).decode()}
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "received"
