"""Fault tests (docs/FAULTS.md §2): the database's storage is full.

Two ways: SQLite's ``PRAGMA max_page_count`` set to the pages the file has (exactly what a
full disk gives SQLite: ``SQLITE_FULL``), and a server process whose file-size limit
(``RLIMIT_FSIZE``, set on the running process with ``prlimit``; Python ignores SIGXFSZ, so a
write past it fails with EFBIG) stops the WAL from growing. A submission then gets a typed 503
with Retry-After, nothing it sent is stored in part, what was acknowledged before stays, and
the same sealed bodies (as a kiosk's outbox keeps them) are stored once when room is back.
"""

from __future__ import annotations

import hashlib
import resource
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

import crypto
from kiosk_client.client import SedaClient
from server.errors import PROBLEMS
from tests.fault_support import check_stored, log_events, read_stored
from tests.intake_support import LiveServer, draft, in_process_client, seeded_sqlite

pytestmark = pytest.mark.fault

BEFORE = 3  # submissions acknowledged before the storage fills
DURING = 8  # submissions made while it is full
SQLITE_MAX_PAGES = 1073741823  # SQLite's own ceiling: "no limit"


class PageLimit:
    """Sets ``PRAGMA max_page_count`` on every connection the pool hands out, so it applies
    to connections already open too; ``fill()`` pins it to the file's current size."""

    def __init__(self) -> None:
        self.full = False

    def __call__(self, dbapi_connection: object, _record: object, _proxy: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA page_count")
        pages = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA max_page_count = {pages if self.full else SQLITE_MAX_PAGES}")
        cursor.close()


@pytest.fixture
def page_limit() -> Iterator[PageLimit]:
    limit = PageLimit()
    event.listen(Pool, "checkout", limit)
    try:
        yield limit
    finally:
        event.remove(Pool, "checkout", limit)


def sealed(client: SedaClient, text: str) -> tuple[str, bytes, bytes]:
    """A sealed submission as a kiosk keeps it: (report id, JSON body, envelope digest)."""
    body = client.build_submission(draft(text), crypto.derive_from_token(crypto.new_token()))
    envelope: crypto.ReportEnvelope = body["envelope"]
    digest = hashlib.sha256(crypto.encode_envelope(envelope)).digest()
    return envelope.report_id, msgspec.json.encode(body), digest


def problem_of(response: httpx.Response) -> str:
    """``status code retry-after`` of a refusal; the body must be exactly the fixed problem."""
    problem = msgspec.json.decode(response.content)
    assert set(problem) <= {"type", "title", "status", "detail", "code", "errors"}, problem
    assert problem["status"] == PROBLEMS[problem["code"]].status == response.status_code
    return f"{response.status_code} {problem['code']} retry-after={response.headers.get('retry-after')}"


def test_a_full_sqlite_database_refuses_with_storage_full_and_loses_nothing(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, page_limit: PageLimit, fault_report: list[str]
) -> None:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    before = {id_ for id_, _ in read_stored(url).reports}
    receipts: dict[str, tuple[bytes, frozenset[str]]] = {}
    with in_process_client(url, keys, puzzle_bits=0) as (client, http):
        for n in range(BEFORE):
            receipt = client.submit(draft(f"پیش از پر شدن {n}")).receipt
            receipts[receipt.report_id] = (receipt.envelope_sha256, frozenset(receipt.recipients))
        page_limit.full = True
        kept = [sealed(client, f"هنگام پر بودن {n} " + "ب" * 2000) for n in range(DURING)]
        answers: Counter[str] = Counter()
        for _, body, _ in kept:
            response = http.post(
                "/api/v1/reports", content=body, headers={"content-type": "application/json"}
            )
            answers[problem_of(response) if response.status_code >= 400 else str(response.status_code)] += 1
        health = http.get("/healthz").status_code  # reads still work on a full database
        while_full = read_stored(url)
        half_written = check_stored({}, while_full, before | set(receipts))
        page_limit.full = False  # the operator made room
        client.retries = 3
        for report_id, body, digest in kept:
            receipt = client.send_sealed(body, report_id, digest)
            receipts[receipt.report_id] = (receipt.envelope_sha256, frozenset(receipt.recipients))
    outcome = check_stored(receipts, read_stored(url), before)
    refused = answers["503 storage-full retry-after=60"]
    fault_report.append(
        f"fault: SQLite full (max_page_count) during {DURING} submissions — {BEFORE} acknowledged before"
        f" stayed, {refused} refused 503 storage-full with Retry-After 60,"
        f" {half_written.stored + len(half_written.partial)} half-written, health {health};"
        f" after room was made {DURING} resent:"
        f" {outcome.acknowledged} acknowledged, {outcome.stored} stored once, {len(outcome.lost)} lost,"
        f" {outcome.duplicated} duplicated, {len(outcome.partial)} partial"
    )
    assert refused == DURING, answers
    assert half_written.stored == 0, "a refused submission left rows"
    assert not half_written.partial, "a refused submission left rows"
    assert health == 200
    assert outcome.acknowledged == outcome.stored == BEFORE + DURING
    assert not outcome.lost
    assert outcome.duplicated == 0
    assert not outcome.partial


def group_pids(leader: int) -> list[int]:
    """The processes of ``leader``'s process group (Granian's main process and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        if int(stat.rsplit(")", 1)[1].split()[2]) == leader:
            found.append(int(entry.name))
    return found


def set_file_size_limit(pids: list[int], soft: int | None) -> None:
    """Lower the soft RLIMIT_FSIZE of running processes (None: back to the hard limit)."""
    for pid in pids:
        hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)[1]
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard if soft is None else soft, hard))


def test_a_file_system_refusing_writes_answers_a_typed_503_and_loses_nothing(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, fault_report: list[str]
) -> None:
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    before = {id_ for id_, _ in read_stored(url).reports}
    receipts: dict[str, tuple[bytes, frozenset[str]]] = {}
    answers: Counter[str] = Counter()
    with (
        LiveServer(url, tmp_path, puzzle_bits=0) as server,
        httpx.Client(base_url=server.base_url, timeout=10.0) as http,
    ):
        assert server.process is not None
        client = SedaClient(http, keys.root_public, retries=0)
        for n in range(BEFORE):
            receipt = client.submit(draft(f"پیش از محدودیت {n}")).receipt
            receipts[receipt.report_id] = (receipt.envelope_sha256, frozenset(receipt.recipients))
        pids = group_pids(server.process.pid)
        # Every file the server writes may grow by a few pages, no more: the WAL, which each
        # commit appends to, reaches the limit first.
        largest = max(path.stat().st_size for path in tmp_path.iterdir() if path.is_file())
        set_file_size_limit(pids, largest + 16384)
        kept = []
        accepted_while_limited = 0
        for n in range(4 * DURING):
            report_id, body, digest = sealed(client, f"هنگام محدودیت {n} " + "ب" * 4000)
            response = http.post(
                "/api/v1/reports", content=body, headers={"content-type": "application/json"}
            )
            if response.status_code == 201:
                accepted_while_limited += 1  # room for a few pages was left on purpose
                receipt = msgspec.json.decode(response.content)
                receipts[report_id] = (digest, frozenset(receipt["recipients"]))
                continue
            answers[problem_of(response)] += 1
            kept.append((report_id, body, digest))
            if len(kept) == DURING:
                break
        alive = server.process.poll() is None
        while_limited = read_stored(url)
        half_written = check_stored({}, while_limited, before | set(receipts))
        set_file_size_limit(pids, None)
        client.retries = 3
        for report_id, body, digest in kept:
            receipt = client.send_sealed(body, report_id, digest)
            receipts[receipt.report_id] = (receipt.envelope_sha256, frozenset(receipt.recipients))
        errors = [e for e in log_events(server.log_path) if e.get("event") == "unhandled_exception"]
    outcome = check_stored(receipts, read_stored(url), before)
    fault_report.append(
        f"fault: file system refused writes (RLIMIT_FSIZE, EFBIG) — {BEFORE} acknowledged before stayed,"
        f" {accepted_while_limited} fitted, {len(kept)} refused ({dict(answers)}), server alive={alive},"
        f" {half_written.stored + len(half_written.partial)} half-written; after the limit was lifted"
        f" {len(kept)} resent: {outcome.acknowledged} acknowledged, {outcome.stored} stored once,"
        f" {len(outcome.lost)} lost, {outcome.duplicated} duplicated, {len(outcome.partial)} partial"
    )
    assert len(kept) == DURING, f"the limit never refused a write: {answers}"
    assert set(answers) <= {"503 unavailable retry-after=5", "503 storage-full retry-after=60"}, answers
    assert alive, "the server died of the file-size limit"
    assert not errors, f"500s: {errors}"
    assert half_written.stored == 0, "a refused submission left rows"
    assert not half_written.partial, "a refused submission left rows"
    assert outcome.acknowledged == outcome.stored
    assert not outcome.lost
    assert outcome.duplicated == 0
    assert not outcome.partial
