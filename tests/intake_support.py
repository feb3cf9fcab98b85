"""Support for intake tests: seeded databases with published demo keys, an in-process
client, a real server process, and a test officer who opens reports and replies."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import create_async_engine

import crypto
from kiosk_client.client import ReportDraft, SedaClient
from server.app import create_app
from server.db import migrate
from server.db.lifecycle import Database
from server.db.models import Body, Report
from server.demo.keys import DemoKeys, ensure_demo_trust, load_demo_keys
from server.demo.service import seed_demo
from server.intake.service import post_reply
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
_TEMPLATES: dict[str, Path] = {}
T = TypeVar("T")


async def _seed(url: str, keys_dir: Path) -> DemoKeys:
    database = Database(url)
    try:
        async with database.write_session() as session:
            await seed_demo(session, datetime.now(UTC))
        async with database.write_session() as session:
            return await ensure_demo_trust(session, keys_dir, datetime.now(UTC))
    finally:
        await database.dispose()


def seed_database(url: str, keys_dir: Path) -> DemoKeys:
    """Migrate, seed the demo data and publish a demo directory and policy."""
    migrate.upgrade(url)
    return asyncio.run(_seed(url, keys_dir))


def seeded_sqlite(directory: Path, template_root: Path) -> tuple[str, DemoKeys]:
    """A seeded SQLite database in ``directory``, copied from one made once per session."""
    template = _TEMPLATES.get("sqlite")
    if template is None:
        template = template_root / "template.db"
        seed_database(f"sqlite+aiosqlite:///{template}", template_root / "keys")
        _TEMPLATES["sqlite"] = template
    target = directory / "seda.db"
    shutil.copyfile(template, target)
    keys = load_demo_keys(template.parent / "keys")
    assert keys is not None
    return f"sqlite+aiosqlite:///{target}", keys


def draft(text: str = "گزارش آزمایشی", **overrides: object) -> ReportDraft:
    values: dict[str, object] = {
        "institution": "tehran-central",
        "report_type": "complaint",
        "category": "health",
        "concerns": "staff_member",
        "reporter_type": "family",
        "channel": "web",
        "text": text,
    }
    values.update(overrides)
    return ReportDraft(**values)  # type: ignore[arg-type]


@contextmanager
def in_process_client(
    url: str, keys: DemoKeys, **settings: object
) -> Iterator[tuple[SedaClient, TestClient[Litestar]]]:
    """A ``SedaClient`` talking to the app in this process (no sleeping between retries)."""
    options: dict[str, object] = {"database_url": url, "puzzle_bits": 4}
    options.update(settings)
    app = create_app(Settings(**options))  # type: ignore[arg-type]
    with TestClient(app) as http:
        yield SedaClient(http, keys.root_public, sleep=lambda _: None), http


class Officer:
    """A test acting as an officer of one body: opens reports with the body's seed, replies."""

    def __init__(self, url: str, keys: DemoKeys, body: str) -> None:
        self.url, self.keys, self.body = url, keys, body

    def open(self, report_id: str) -> tuple[crypto.ReportEnvelope, crypto.OpenedReport]:
        async def work(database: Database) -> bytes:
            async with database.sessions() as session:
                report = await session.get(Report, uuid.UUID(report_id))
                assert report is not None
                return report.envelope

        envelope = crypto.decode_envelope(_run(self.url, work))
        return envelope, crypto.open_report(envelope, self.keys.body_seeds[self.body])

    def reply(self, report_id: str, text: str) -> None:
        envelope, opened = self.open(report_id)
        assert envelope.reporter_key is not None
        assert opened.payload.thread_key is not None
        message = crypto.seal_message(
            kind="reply",
            report_id=report_id,
            message_id=str(uuid.uuid4()),
            body=crypto.MessageBody(text=text),
            recipients=[
                envelope.reporter_key,
                crypto.public_key_of(self.keys.body_seeds[self.body]).public_key,
            ],
            thread_key=opened.payload.thread_key,
        )

        async def work(database: Database) -> None:
            async with database.write_session() as session:
                body_id = await session.scalar(select(Body.id).where(Body.code == self.body))
                assert body_id is not None
                await post_reply(session, uuid.UUID(report_id), body_id, message, datetime.now(UTC))

        _run(self.url, work)


def _run(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    return with_database(url, work)


def with_database(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` with a ``Database`` of ``url`` (disposed afterwards), from synchronous code."""

    async def run() -> T:
        database = Database(url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return run_coroutine(run())


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from synchronous test code, on a thread of its own:
    Playwright's synchronous API keeps an event loop running on the test's thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """``seda serve`` in a child process on 127.0.0.1; its output goes to ``log_path``."""

    def __init__(
        self, url: str, workdir: Path, *, workers: int = 1, puzzle_bits: int = 4, **env: str
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.log_path = workdir / f"server-{self.port}.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SEDA_")},
            "SEDA_DATABASE_URL": url,
            "SEDA_PORT": str(self.port),
            "SEDA_WORKERS": str(workers),
            "SEDA_PUZZLE_BITS": str(puzzle_bits),
            **env,
        }
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        with self.log_path.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "seda"), "serve"],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base_url + "healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """SIGKILL the whole process group (Granian's main process and its workers)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def file_haystacks(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (SQLite's WAL and journal included), by its path there."""
    return {
        f"file {path.relative_to(folder)}": path.read_bytes() for path in folder.rglob("*") if path.is_file()
    }


def secret_needles(canary: str, token: crypto.TrackingToken, lookup_secret: bytes) -> dict[str, bytes]:
    """Every form in which a canary, a token or its lookup secret could leak."""
    digits = token.grouped().replace("-", "")
    return {
        "canary": canary.encode(),
        "canary (utf-16)": canary.encode("utf-16-le"),
        "token digits": digits.encode(),
        "token grouped": token.grouped().encode(),
        "token persian": token.grouped(persian=True).encode(),
        "lookup secret": lookup_secret,
        "lookup secret (base64)": base64.b64encode(lookup_secret),
        "lookup secret (hex)": lookup_secret.hex().encode(),
    }


def dump_tables(url: str) -> bytes:
    """Every value of every table (reflected), as bytes to search for planted canaries."""
    return run_coroutine(_dump_tables(url))


async def _dump_tables(url: str) -> bytes:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            dump = bytearray()
            for table in metadata.sorted_tables:
                for row in (await connection.execute(select(table))).all():
                    for value in row:
                        dump += value if isinstance(value, bytes) else str(value).encode()
                        dump += b"\x00"
            return bytes(dump)
    finally:
        await engine.dispose()
