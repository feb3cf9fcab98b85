"""Intake through the production server: durable submissions per second, p50/p99 latency.

One run measures, on this machine, in this order:

1. the framework's ceiling: a one-handler Litestar app served by Granian exactly as
   ``seda serve`` serves Sedā (ASGI, same worker count), whose handler decodes the very same
   submission bodies into the intake's own ``Submission`` struct and answers a small struct;
2. the disk's ceiling: the standard library's ``sqlite3`` committing rows of the envelope's
   size one at a time, WAL + ``synchronous=FULL`` (the pragmas Sedā uses);
3. ``POST /api/v1/reports`` on ``seda serve`` with SQLite (1 worker), then PostgreSQL
   (2 workers, a fresh database dropped afterwards), and ``POST /api/v1/status`` look-ups of
   the reports just stored.

The submissions are sealed before the clock starts (sealing is the client's cost, not the
server's), with ``SEDA_PUZZLE_BITS=0`` so that no puzzle is needed. Their token secrets are
random bytes instead of an Argon2id derivation of a token: the server sees only the lookup
verifier and the reporter's public key, which look the same either way. Every submission
must answer 201 with a receipt for its own id, and after the server has stopped the database
must hold every one of them; otherwise the benchmark fails rather than print a figure.

The load generator is a bounded closed loop in this process (``--concurrency`` keep-alive
connections, ``--count`` requests each phase) speaking plain HTTP/1.1 with pre-encoded
requests, so that it spends as little of the machine's two cores as it can. It shares those
cores with the server (and PostgreSQL): the CPU columns say who used them.

Run: ``make bench`` (or ``.venv/bin/python -m benchmarks.intake --count 1000 --concurrency 16``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from granian.constants import Interfaces
from granian.server import Server
from litestar import Litestar, get, post
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import crypto
from kiosk_client import wire
from kiosk_client.client import SedaClient
from server.db.engine import SQLITE_PRAGMAS
from server.db.lifecycle import Database
from server.db.models import Report
from server.intake.schemas import Submission
from tests.intake_support import LiveServer, draft, free_port, seed_database

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = os.environ.get(
    "SEDA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REPORT_TEXT = (
    "در بند ۴ از هفته گذشته به بیماران داروی لازم داده نشده است و درخواست ملاقات با پزشک بی‌پاسخ مانده است. "
) * 6
# Look-ups are rate limited per client address; every request here comes from 127.0.0.1.
UNLIMITED_LOOKUPS = {"SEDA_LOOKUP_BURST": "1000000", "SEDA_LOOKUP_PER_MINUTE": "1000000"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    count: int
    seconds: float
    latencies: list[float]
    client_cpu: float
    server_cpu: float | None = None
    machine_busy: float | None = None
    statuses: list[int] = field(default_factory=list, repr=False)
    bodies: list[bytes] = field(default_factory=list, repr=False)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, q: int) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


# -- the framework's ceiling: the same framework and server, one trivial handler ----------------
class Ack(msgspec.Struct, frozen=True):
    report_id: str


@post("/accept", status_code=201)
async def accept(data: Submission) -> Ack:
    return Ack(report_id=data.envelope.report_id)


@get("/ping")
async def ping() -> str:
    return "ok"


def trivial_app() -> Litestar:
    """Factory for Granian: Litestar with one handler that decodes a submission."""
    return Litestar(route_handlers=[accept, ping], logging_config=None, debug=False)


def serve_trivial(port: int, workers: int) -> None:
    """Serve ``trivial_app`` with Granian, with the options ``seda serve`` uses."""
    Server(
        "benchmarks.intake:trivial_app",
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
    ).serve()


@contextmanager
def trivial_server(workdir: Path, workers: int) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    with (workdir / f"trivial-{port}.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 (this module, by the running interpreter)
            [sys.executable, "-m", "benchmarks.intake", "--serve-trivial", str(port), str(workers)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the trivial server did not start")
            time.sleep(0.1)
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            process.wait(15)


# -- the disk's ceiling: raw SQLite durable commits ---------------------------------------------
def raw_sqlite_commits(path: Path, count: int, size: int) -> Phase:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(pragma)
    connection.execute("CREATE TABLE t (id BLOB PRIMARY KEY, envelope BLOB NOT NULL)")
    payload = os.urandom(size)
    latencies = []
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(count):
        begun = time.perf_counter()
        connection.execute("BEGIN")
        connection.execute("INSERT INTO t VALUES (?, ?)", (uuid.uuid4().bytes, payload))
        connection.execute("COMMIT")
        latencies.append(time.perf_counter() - begun)
    elapsed = time.perf_counter() - started
    stored = connection.execute("SELECT count(*) FROM t").fetchone()[0]
    connection.close()
    if stored != count:
        raise RuntimeError(f"raw SQLite stored {stored} of {count} rows")
    return Phase("raw sqlite3 commits (1 thread)", count, elapsed, latencies, time.process_time() - cpu)


# -- a bounded HTTP/1.1 load generator ----------------------------------------------------------
def request_bytes(port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body, and whether the server keeps the connection open."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        body = b"".join(parts)
    else:
        body = b""
    return status, body, headers.get("connection") != "close"


class Connections:
    """``concurrency`` keep-alive connections to one server, reused by every phase against it."""

    def __init__(self, port: int, concurrency: int) -> None:
        self.port = port
        self.concurrency = concurrency
        self.streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def open(self) -> None:
        for _ in range(self.concurrency):
            self.streams.append(await asyncio.open_connection("127.0.0.1", self.port))

    async def close(self) -> None:
        for _, writer in self.streams:
            writer.close()
        self.streams.clear()

    async def run(self, name: str, requests: list[bytes], server_pgid: int | None) -> Phase:
        """Send every request once, ``concurrency`` at a time (a closed loop)."""
        count = len(requests)
        latencies, statuses, bodies = [0.0] * count, [0] * count, [b""] * count
        indices = iter(range(count))

        async def connection(slot: int) -> None:
            reader, writer = self.streams[slot]
            for index in indices:
                begun = time.perf_counter()
                writer.write(requests[index])
                await writer.drain()
                status, body, keep = await _read_response(reader)
                latencies[index] = time.perf_counter() - begun
                statuses[index], bodies[index] = status, body
                if not keep:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    self.streams[slot] = (reader, writer)

        server_before = _group_cpu(server_pgid)
        machine_before = _machine_cpu()
        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(connection(slot) for slot in range(self.concurrency)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - cpu
        busy, total = (after - before for after, before in zip(_machine_cpu(), machine_before, strict=True))
        server_cpu = None if server_pgid is None else _group_cpu(server_pgid) - server_before
        return Phase(name, count, elapsed, latencies, client_cpu, server_cpu, busy / total, statuses, bodies)


def drive(
    port: int, concurrency: int, batches: list[tuple[str, list[bytes]]], server_pgid: int
) -> list[Phase]:
    """Run the named batches in order over the same connections (a leading "warm-up" batch
    is run and dropped)."""

    async def work() -> list[Phase]:
        pool = Connections(port, concurrency)
        await pool.open()
        try:
            return [await pool.run(name, requests, server_pgid) for name, requests in batches]
        finally:
            await pool.close()

    return asyncio.run(work())


def _group_cpu(pgid: int | None) -> float:
    """CPU seconds used so far by every live process in a process group (server + workers)."""
    if pgid is None:
        return 0.0
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# -- Sedā: prepared submissions, the production server, checks ----------------------------------
@dataclass
class Prepared:
    report_ids: list[str]
    secrets: list[bytes]  # lookup secrets
    bodies: list[bytes]
    envelope_bytes: int


def prepare(base_url: str, root_public: bytes, count: int) -> Prepared:
    """Seal ``count`` submissions against the server's signed directory (untimed)."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        client = SedaClient(http, root_public)
        report_ids, lookups, bodies, sizes = [], [], [], []
        for _ in range(count):
            token = crypto.TokenSecrets(
                lookup_secret=secrets.token_bytes(32),
                reporter_seed=crypto.new_seed(),
                thread_key=secrets.token_bytes(32),
            )
            body = client.build_submission(draft(REPORT_TEXT), token, solve_puzzle=False)
            envelope: crypto.ReportEnvelope = body["envelope"]
            report_ids.append(envelope.report_id)
            lookups.append(token.lookup_secret)
            bodies.append(msgspec.json.encode(body))
            sizes.append(len(crypto.encode_envelope(envelope)))
    return Prepared(report_ids, lookups, bodies, round(statistics.mean(sizes)))


def check_receipts(phase: Phase, report_ids: list[str], expected_status: int, kind: type[Any]) -> None:
    """Every answer has the expected status and names the report it was about."""
    wrong = [status for status in phase.statuses if status != expected_status]
    if wrong:
        raise RuntimeError(f"{phase.name}: {len(wrong)} of {phase.count} answered {sorted(set(wrong))}")
    for body, report_id in zip(phase.bodies, report_ids, strict=True):
        if msgspec.json.decode(body, type=kind).report_id != report_id:
            raise RuntimeError(f"{phase.name}: an answer names another report")


def count_stored(url: str, report_ids: list[str]) -> int:
    async def work() -> int:
        database = Database(url)
        try:
            ids = [uuid.UUID(report_id) for report_id in report_ids]
            async with database.sessions() as session:
                stored = await session.scalar(
                    select(func.count()).select_from(Report).where(Report.id.in_(ids))
                )
                return int(stored or 0)
        finally:
            await database.dispose()

    return asyncio.run(work())


def measure_seda(
    label: str, url: str, workdir: Path, keys_dir: Path, *, workers: int, count: int, concurrency: int
) -> tuple[Phase, Phase, Prepared]:
    """Submissions, then look-ups of them, on a freshly seeded database; checked."""
    keys = seed_database(url, keys_dir)
    warmup = max(concurrency * 4, 40)
    server = LiveServer(url, workdir, workers=workers, puzzle_bits=0, **UNLIMITED_LOOKUPS)
    with server:
        if server.process is None:
            raise RuntimeError("the server did not start")
        prepared = prepare(server.base_url, keys.root_public, warmup + count)
        submit = [request_bytes(server.port, "/api/v1/reports", body) for body in prepared.bodies]
        lookups = [
            request_bytes(
                server.port,
                "/api/v1/status",
                msgspec.json.encode({"lookup_secret": base64.b64encode(secret).decode()}),
            )
            for secret in prepared.secrets[warmup:]
        ]
        warm, intake, status = drive(
            server.port,
            concurrency,
            [
                ("warm-up", submit[:warmup]),
                (f"Sedā intake, {label}, {workers} worker(s)", submit[warmup:]),
                (f"Sedā status look-up, {label}, {workers} worker(s)", lookups),
            ],
            server.process.pid,
        )
    check_receipts(warm, prepared.report_ids[:warmup], 201, wire.Receipt)
    check_receipts(intake, prepared.report_ids[warmup:], 201, wire.Receipt)
    check_receipts(status, prepared.report_ids[warmup:], 200, wire.StatusView)
    stored = count_stored(url, prepared.report_ids)  # after the server stopped
    if stored != len(prepared.report_ids):
        raise RuntimeError(f"{label}: {stored} of {len(prepared.report_ids)} receipted reports are stored")
    return intake, status, prepared


def measure_trivial(
    workdir: Path, bodies: list[bytes], *, workers: int, count: int, concurrency: int
) -> Phase:
    with trivial_server(workdir, workers) as (port, process):
        requests = [request_bytes(port, "/accept", bodies[i % len(bodies)]) for i in range(count)]
        warmup = requests[: max(concurrency * 10, 200)]
        _, phase = drive(
            port,
            concurrency,
            [("warm-up", warmup), (f"trivial Litestar POST, {workers} worker(s)", requests)],
            process.pid,
        )
    if any(status != 201 for status in phase.statuses):
        raise RuntimeError("the trivial endpoint refused requests")
    return phase


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A new, empty PostgreSQL database (dropped afterwards); None if there is no server."""
    admin = make_url(POSTGRES_ADMIN_URL)

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(
            host=admin.host,
            port=admin.port,
            user=admin.username,
            password=admin.password,
            database=admin.database,
        )
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    name = f"seda_bench_{secrets.token_hex(6)}"
    try:
        asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL skipped: {type(error).__name__} at {admin.host}:{admin.port or 5432}")
        yield None
        return
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# -- report ----------------------------------------------------------------------------------------
def row(phase: Phase) -> str:
    server = "" if phase.server_cpu is None else f"{1000 * phase.server_cpu / phase.count:6.2f}"
    busy = "" if phase.machine_busy is None else f"{100 * phase.machine_busy:5.0f}%"
    client = 1000 * phase.client_cpu / phase.count
    return (
        f"| {phase.name:<44} | {phase.count:5d} | {phase.rate:8.0f} | {phase.percentile(50):7.2f} "
        f"| {phase.percentile(99):7.2f} | {1000 * max(phase.latencies):7.1f} | {server:>6} | {client:6.2f} "
        f"| {busy:>5} |"
    )


def report(phases: list[Phase], ratios: list[tuple[str, Phase | None, Phase | None]]) -> None:
    print()
    print(
        "| measurement                                  | count |    per s | p50 ms  | p99 ms  | max ms  "
        "| server CPU ms/req | load generator CPU ms/req | machine busy |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for phase in phases:
        print(row(phase))
    print()
    for name, numerator, denominator in ratios:
        if numerator is not None and denominator is not None:
            print(f"{name:<52} {numerator.rate / denominator.rate:6.3f}")


def run(count: int, concurrency: int, postgres: bool) -> None:
    phases: list[Phase] = []

    def ratio_of(prefix: str) -> Phase | None:
        return next((phase for phase in phases if phase.name.startswith(prefix)), None)

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        keys_dir = workdir / "keys"
        sqlite_url = f"sqlite+aiosqlite:///{workdir / 'seda.db'}"
        print(
            f"{count} submissions per phase ({5 * count} for the trivial endpoint), "
            f"{concurrency} connections, {os.cpu_count()} CPUs, load average {_load()} at the start"
        )
        print("measuring Sedā intake on SQLite ...", flush=True)
        intake, status, prepared = measure_seda(
            "SQLite", sqlite_url, workdir, keys_dir, workers=1, count=count, concurrency=concurrency
        )
        sample = prepared.bodies[:50]
        print("measuring the framework's ceiling ...", flush=True)
        trivial = [
            measure_trivial(workdir, sample, workers=w, count=count * 5, concurrency=concurrency)
            for w in (1, 2)
        ]
        print("measuring raw SQLite commits ...", flush=True)
        raw = raw_sqlite_commits(workdir / "raw.db", max(count, 1000) * 2, prepared.envelope_bytes)
        phases += [*trivial, raw, intake, status]
        if postgres:
            print("measuring Sedā intake on PostgreSQL ...", flush=True)
            with postgres_database() as pg_url:
                if pg_url is not None:
                    pg_intake, pg_status, _ = measure_seda(
                        "PostgreSQL",
                        pg_url,
                        workdir,
                        keys_dir,
                        workers=2,
                        count=count,
                        concurrency=concurrency,
                    )
                    phases += [pg_intake, pg_status]
    print(
        f"envelope {prepared.envelope_bytes} bytes (raw SQLite rows the same size); "
        "every submission answered 201 and is stored"
    )
    print(f"load average {_load()} at the end (other work on the machine shows here)")
    report(
        phases,
        [
            ("intake SQLite / trivial endpoint (1 worker)", ratio_of("Sedā intake, SQLite"), trivial[0]),
            ("intake SQLite / raw sqlite3 commits", ratio_of("Sedā intake, SQLite"), raw),
            (
                "intake PostgreSQL / trivial endpoint (2 workers)",
                ratio_of("Sedā intake, Postgre"),
                trivial[1],
            ),
            (
                "intake PostgreSQL / intake SQLite",
                ratio_of("Sedā intake, Postgre"),
                ratio_of("Sedā intake, SQ"),
            ),
            ("status SQLite / trivial endpoint (1 worker)", ratio_of("Sedā status look-up, SQ"), trivial[0]),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="submissions per measurement (bounded)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the load generator")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--serve-trivial", nargs=2, type=int, metavar=("PORT", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve_trivial:
        serve_trivial(*args.serve_trivial)
        return
    run(max(100, min(args.count, 20_000)), max(1, min(args.concurrency, 64)), not args.no_postgres)


if __name__ == "__main__":
    main()
