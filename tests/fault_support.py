"""Fault injection for the fault tests (docs/FAULTS.md): a TCP proxy put between a server and
PostgreSQL that cuts, refuses, stalls and restores connections, a tally of what clients saw,
and a reading of what the database holds after a run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from kiosk_client.client import ClientError, OutcomeUnknownError, SedaClient, UnavailableError
from server.db.lifecycle import Database
from server.db.models import Body, Report, ReportRecipient, StatusEvent
from server.demo.keys import DemoKeys
from tests.intake_support import draft, run_coroutine

T = TypeVar("T")
PIPE_BYTES = 65536


class DatabaseProxy:
    """127.0.0.1:``port`` forwarded to ``target``, on an event loop of its own thread.

    It models a PostgreSQL restart or failover: ``cut`` ends every open connection (the
    server's pool holds dead ones), ``refuse`` also stops listening (new connections are
    refused, as while a server starts), ``restore`` listens again on the same port (the new
    primary); ``stall`` models a partition, and ``cut_on`` ends one connection at a chosen
    statement.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._listener: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._stalled = False
        self._triggers: list[tuple[bytes, bool]] = []
        self.fired = 0  # triggers that went off

    @classmethod
    def to_url(cls, url: str, *, sql_visible: bool = False) -> tuple[DatabaseProxy, str]:
        """A started proxy to the database of ``url``, and the same URL through the proxy.

        ``sql_visible``: the driver prepares every statement anew, so its SQL text crosses
        the proxy each time (asyncpg otherwise re-runs a prepared statement by name, and
        ``cut_on`` would never see a statement the connection ran before)."""
        parsed = make_url(url)
        proxy = cls(parsed.host or "127.0.0.1", parsed.port or 5432)
        proxy.start()
        through = parsed.set(host="127.0.0.1", port=proxy.port)
        if sql_visible:
            through = through.update_query_dict({"prepared_statement_cache_size": "0"})
        return proxy, through.render_as_string(hide_password=False)

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def cut(self) -> None:
        """End every open connection at once (reset, as when the database process dies)."""
        self._call(self._cut())

    def refuse(self) -> None:
        """Cut, and refuse new connections until ``restore``."""
        self._call(self._refuse())

    def cut_on(self, pattern: bytes, *, delivered: bool) -> None:
        """Once, after the triggers set before it have fired: when a client sends ``pattern``
        (an SQL text such as ``b"COMMIT"``), end that connection. ``delivered=False``: before
        the database sees it (the statement is lost with its transaction); True: after, so the
        database does it but its answer is lost (a commit that happened although the client
        saw the connection die)."""
        self._triggers.append((pattern, delivered))

    def stall(self) -> None:
        """Cut, then take new connections but never answer on them (a partition: packets to
        the old primary vanish) until ``restore``."""
        self._stalled = True
        self.cut()

    def restore(self) -> None:
        self._stalled = False
        self._call(self._listen())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> DatabaseProxy:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    async def _listen(self) -> None:
        if self._listener is None:
            self._listener = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
            self.port = self._listener.sockets[0].getsockname()[1]

    async def _refuse(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await self._cut()

    async def _shutdown(self) -> None:
        """Refuse, then end every connection's task (none is left pending in a closed loop)."""
        await self._refuse()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _cut(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stalled:
            self._open.add(writer)  # held silent; cut or restore ends it
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer, client=writer), self._pipe(up_reader, writer, client=None)
        )
        self._open -= {writer, up_writer}

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        client: asyncio.StreamWriter | None,
    ) -> None:
        """Copy ``reader`` to ``writer``; ``client`` is set on the client-to-database side,
        where triggers are looked for."""
        try:
            while data := await reader.read(PIPE_BYTES):
                trigger = self._triggers[0] if client is not None and self._triggers else None
                if client is not None and trigger is not None and trigger[0] in data:
                    self._triggers.pop(0)
                    self.fired += 1
                    client.transport.abort()  # the client sees its connection die now
                    if trigger[1]:
                        writer.write(data)  # … and the database still gets the statement
                        await writer.drain()
                        await asyncio.sleep(0.2)  # to act on; its answer goes nowhere
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()  # one side gone: the other goes too, as with a real peer
            if client is not None:
                client.transport.abort()


@dataclass
class Tally:
    """What submitting clients saw, shared by their threads under ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    submissions: int = 0
    receipts: dict[str, tuple[bytes, frozenset[str]]] = field(default_factory=dict)
    duplicate_receipts: int = 0
    unknown: int = 0  # no receipt after every retry: the report may or may not be stored
    refused: list[str] = field(default_factory=list)  # refusals other than "retry later"
    crashed: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)  # "503 unavailable retry-after=5", …
    retried_clients: set[int] = field(default_factory=set)  # clients that got a 5xx and retried

    def record(self, client: int, response: httpx.Response) -> None:
        if response.status_code < 500:
            return
        try:
            code = str(json.loads(response.content).get("code"))
        except (ValueError, AttributeError):
            code = "not-a-problem"
        after = response.headers.get("retry-after")
        with self.lock:
            self.answers[f"{response.status_code} {code} retry-after={after}"] += 1
            self.retried_clients.add(client)


class RecordingTransport(httpx.HTTPTransport):
    """Counts every 5xx answer a client got (its status, problem code and Retry-After)."""

    def __init__(self, tally: Tally, client: int) -> None:
        super().__init__()
        self.tally, self.client = tally, client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.tally.record(self.client, response)
        return response


def seda_client(base_url: str, keys: DemoKeys, tally: Tally, number: int) -> tuple[httpx.Client, SedaClient]:
    """A ``SedaClient`` with ~20 s of patience; it sleeps at most 0.3 s between attempts (the
    server's Retry-After is recorded, not waited out, to keep the test short)."""
    http = httpx.Client(base_url=base_url, timeout=10.0, transport=RecordingTransport(tally, number))
    client = SedaClient(
        http, keys.root_public, retries=60, backoff=0.05, sleep=lambda delay: time.sleep(min(delay, 0.3))
    )
    return http, client


def submit_reports(client: SedaClient, tally: Tally, count: int, label: str) -> None:
    """Submit ``count`` reports one after another, recording each outcome."""
    for sequence in range(count):
        with tally.lock:
            tally.submissions += 1
        try:
            receipt = client.submit(draft(f"گزارش {label}-{sequence}")).receipt
        except (UnavailableError, OutcomeUnknownError):
            with tally.lock:
                tally.unknown += 1
            continue
        except ClientError as error:
            with tally.lock:
                tally.refused.append(f"{error.code} ({error.status})")
            continue
        except Exception as error:  # noqa: BLE001 (reported by the test, not lost in a thread)
            with tally.lock:
                tally.crashed.append(repr(error))
            return
        with tally.lock:
            if receipt.report_id in tally.receipts:
                tally.duplicate_receipts += 1
            tally.receipts[receipt.report_id] = (receipt.envelope_sha256, frozenset(receipt.recipients))


def run_clients(target: Callable[[int], None], count: int) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def join_all(threads: list[threading.Thread], timeout: float) -> int:
    """Wait for ``threads`` up to ``timeout`` seconds in all; how many are still running."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(thread.is_alive() for thread in threads)


@dataclass(frozen=True)
class Stored:
    """The reports a database holds, and whether each is whole."""

    reports: list[tuple[str, bytes]]
    recipients: dict[str, set[str]]
    first_events: dict[str, list[str]]
    orphans: int


async def _read_stored(database: Database) -> Stored:
    async with database.sessions() as session:
        rows = (await session.execute(select(Report.id, Report.envelope_sha256))).all()
        existing = {str(id_) for id_, _ in rows}
        recipients: dict[str, set[str]] = defaultdict(set)
        orphans = 0
        joined = select(ReportRecipient.report_id, Body.code).join(Body, Body.id == ReportRecipient.body_id)
        for report_id, code in (await session.execute(joined)).all():
            orphans += str(report_id) not in existing
            recipients[str(report_id)].add(code)
        first_events: dict[str, list[str]] = defaultdict(list)
        events = select(StatusEvent.report_id, StatusEvent.seq, StatusEvent.status)
        for report_id, seq, status in (await session.execute(events)).all():
            orphans += str(report_id) not in existing
            if seq == 1:
                first_events[str(report_id)].append(str(status))
    return Stored([(str(i), d) for i, d in rows], dict(recipients), dict(first_events), orphans)


def read_stored(url: str) -> Stored:
    async def work() -> Stored:
        database = Database(url)
        try:
            return await _read_stored(database)
        finally:
            await database.dispose()

    return run_coroutine(work())


@dataclass(frozen=True)
class Outcome:
    """Acknowledged reports checked against what is stored."""

    acknowledged: int
    stored: int
    lost: list[str]
    duplicated: int
    partial: list[str]
    unacknowledged_stored: int


def check_stored(
    receipts: dict[str, tuple[bytes, frozenset[str]]], stored: Stored, before: set[str]
) -> Outcome:
    """Every receipt against the database: lost, stored twice, or stored in part."""
    mine = [(id_, digest) for id_, digest in stored.reports if id_ not in before]
    by_id = dict(mine)
    lost = sorted(id_ for id_, (digest, _) in receipts.items() if by_id.get(id_) != digest)
    ids = Counter(id_ for id_, _ in mine)
    digests = Counter(digest for _, digest in mine)
    duplicated = sum(n - 1 for n in ids.values()) + sum(n - 1 for n in digests.values())
    partial = sorted(
        id_
        for id_ in by_id
        if not stored.recipients.get(id_)
        or stored.first_events.get(id_) != ["received"]
        or (id_ in receipts and stored.recipients[id_] != receipts[id_][1])
    )
    if stored.orphans:
        partial.append(f"{stored.orphans} orphan rows")
    return Outcome(len(receipts), len(by_id), lost, duplicated, partial, len(set(by_id) - set(receipts)))


def log_events(log: Path) -> list[dict[str, Any]]:
    """The JSON lines of a server's log (other lines skipped)."""
    events = []
    for line in log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
    return events


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
