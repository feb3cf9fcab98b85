"""Backups (docs/OPERATIONS.md "Backups"): a working system backed up and restored into a fresh
database of either backend is a working system again; a damaged, truncated or foreign backup,
or a target that is not empty, is refused with a typed error and changes nothing."""

from __future__ import annotations

import fcntl
import functools
import io
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from server.audit import append_audit, link_hash, stored_hash_at, verify_stored_chain
from server.backup import dump as dumping
from server.backup import restore as restoring
from server.backup.errors import (
    AnchorMismatchError,
    AuditChainBrokenError,
    BackupDamagedError,
    BackupFormatError,
    BackupTruncatedError,
    TargetNotEmptyError,
    UnknownRevisionError,
)
from server.backup.stream import FORMAT_VERSION, MAGIC, AuditHead, BackupWriter, Header, Manifest, _next_frame
from server.backup.verify import verify_backup
from server.cli import cli
from server.db import migrate
from server.db.lifecycle import Database
from server.db.models import AuditEntry, Message, MonthlySummary, OfficerRole, OfficerSession, Report
from server.demo.keys import DemoKeys
from server.summaries import formats, signing, store
from tests.backup_support import REPLY, build, running
from tests.conftest import new_postgres_database
from tests.console_support import make_account
from tests.intake_support import draft, seed_database, seeded_sqlite, with_database

runner = CliRunner()
DG = "provincial_dg_prisons--tehran"


def _seda(url: str, *args: str) -> Any:
    return runner.invoke(cli, list(args), env={"SEDA_DATABASE_URL": url}, catch_exceptions=False)


@contextmanager
def _seeded(backend: str, folder: Path, template_root: Path) -> Iterator[tuple[str, DemoKeys]]:
    if backend == "sqlite":
        yield seeded_sqlite(folder, template_root)
        return
    with new_postgres_database() as url:
        yield url, seed_database(url, folder / "keys")


@contextmanager
def _fresh(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'restored.db'}"
        return
    with new_postgres_database() as url:
        yield url


def _contents(url: str) -> dict[str, Any]:
    """What must survive byte for byte: reports, messages, summaries, the audit chain."""

    async def work(database: Database) -> dict[str, Any]:
        async with database.sessions() as session:
            reports = dict((await session.execute(select(Report.id, Report.envelope))).all())
            messages = dict((await session.execute(select(Message.id, Message.sealed))).all())
            summaries = {
                (row.month, row.level, row.unit_code, row.view): (row.document, row.signature, row.public_key)
                for row in await session.scalars(select(MonthlySummary))
            }
            chain = await verify_stored_chain(session)
        return {"reports": reports, "messages": messages, "summaries": summaries, "chain": chain}

    return with_database(url, work)


def _manifest(path: Path) -> Manifest:
    with path.open("rb") as file:
        return verify_backup(file)[1]


DIRECTIONS = [
    ("sqlite", "sqlite"),
    pytest.param("sqlite", "postgresql", marks=pytest.mark.postgresql),
    pytest.param("postgresql", "sqlite", marks=pytest.mark.postgresql),
]


@pytest.mark.parametrize(("source_backend", "target_backend"), DIRECTIONS)
def test_a_restored_backup_is_a_working_system(
    source_backend: str, target_backend: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path / "seda.backup"
    with _seeded(source_backend, tmp_path, tmp_path_factory.getbasetemp()) as (url, keys):
        with running(url, keys) as system:
            built = build(system)
        before = _contents(url)
        created = _seda(url, "backup", "create", "--out", str(out))
        assert created.exit_code == 0, created.output
    anchor = created.stdout.strip().splitlines()[-1]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    backup_bytes = out.read_bytes()
    for plaintext in ("canary-backup-1", "canary-backup-2", "نام گزارشگر", REPLY):
        assert plaintext.encode() not in backup_bytes  # sealed in the database, sealed in the backup
    checked = runner.invoke(cli, ["backup", "verify", str(out)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    assert anchor in checked.output.replace("\n", "")
    assert before["chain"].ok
    assert anchor == f"{before['chain'].checked}:{before['chain'].head_hash.hex()}"
    assert {built.replied.receipt.report_id, built.closed.receipt.report_id, built.letter} <= {
        str(i) for i in before["reports"]
    }
    assert before["messages"]
    assert before["summaries"]

    with _fresh(target_backend, tmp_path) as target:
        restored = _seda(target, "backup", "restore", str(out))
        assert restored.exit_code == 0, restored.output
        assert restored.stdout.strip().splitlines()[-1] == anchor
        after = _contents(target)
        assert after == before  # same ids, same ciphertext, same summaries, same chain head
        assert _seda(target, "audit", "verify", "--anchor", anchor).exit_code == 0
        for document, signature, public in after["summaries"].values():
            assert signing.verifies(public, document, signature)
        for row in with_database(target, _summary_rows):
            formats.check_json(formats.to_json(store.document(row)))  # a copy a reader would check

        sessions = OfficerSession.__tablename__
        assert _manifest(out).tables[sessions].rows > 0  # the officers of ``build`` were signed in
        assert f"{_manifest(out).tables[sessions].rows} console session(s) of the backup deleted" in (
            restored.output.replace("\n", " ")
        )
        again = tmp_path / "again.backup"
        assert _seda(target, "backup", "create", "--out", str(again)).exit_code == 0
        assert _manifest(again).tables[sessions].rows == 0  # officers sign in again
        # Every other table, value for value.
        assert {n: t for n, t in _manifest(again).tables.items() if n != sessions} == {
            n: t for n, t in _manifest(out).tables.items() if n != sessions
        }

        with running(target, keys) as system:
            status = system.reporter.status(built.replied.token)
            assert [reply.text for reply in status.replies] == [REPLY]
            assert system.reporter.status(built.open.token).view.report_id == built.open.receipt.report_id
            fresh = system.reporter.submit(draft("گزارش پس از بازیابی"))
            assert system.reporter.status(fresh.token).view.report_id == fresh.receipt.report_id
            # New rows with database-made ids (PostgreSQL sequences continue after the restored ids).
            make_account(target, "after.restore", OfficerRole.OFFICER, DG)
            system.box_letter("نامهٔ پس از بازیابی")
        assert with_database(target, _chain_ok)


async def _summary_rows(database: Database) -> list[MonthlySummary]:
    async with database.sessions() as session:
        return list(await session.scalars(select(MonthlySummary)))


async def _chain_ok(database: Database) -> bool:
    async with database.sessions() as session:
        return (await verify_stored_chain(session)).ok


# -- a small system for the refusals --------------------------------------------------------
@pytest.fixture
def small(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, bytes, bytes]:
    """A seeded database with one report; its backup's bytes and the report's envelope."""
    url, keys = seeded_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    with running(url, keys) as system:
        submitted = system.reporter.submit(draft("گزارش کوچک"))
    out = tmp_path / "small.backup"
    assert _seda(url, "backup", "create", "--out", str(out)).exit_code == 0
    envelope = _contents(url)["reports"]
    (only,) = [e for i, e in envelope.items() if str(i) == submitted.receipt.report_id]
    return url, out.read_bytes(), only


def _restore(target: str, data: bytes) -> restoring.Restored:
    """What ``seda backup restore`` does, step by step."""
    restoring.check_header(io.BytesIO(data))
    with_database(target, restoring.require_empty)
    migrate.upgrade(target)
    return with_database(target, lambda database: restoring.restore(database, io.BytesIO(data)))


def _rows(url: str) -> int:
    async def work(database: Database) -> int:
        async with database.engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
            total = 0
            for table in dumping.backup_tables():
                if table.name in names:
                    total += int(await connection.scalar(select(func.count()).select_from(table)) or 0)
            return total

    return with_database(url, work)


def test_the_small_backup_restores(small: tuple[str, bytes, bytes], tmp_path: Path) -> None:
    url, data, _ = small
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    restored = _restore(target, data)
    assert restored.tables["reports"] == 1
    assert _rows(target) == _rows(url)


def test_a_changed_ciphertext_byte_is_refused_and_nothing_is_kept(
    small: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    _, data, envelope = small
    at = data.find(envelope)
    assert at > 0  # the ciphertext is in the backup as it is in the database, byte for byte
    tampered = bytearray(data)
    tampered[at + len(envelope) // 2] ^= 0x01  # still a valid frame: only the hashes can tell
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(BackupDamagedError):
        _restore(target, bytes(tampered))
    assert _rows(target) == 0
    with pytest.raises(BackupDamagedError):
        verify_backup(io.BytesIO(bytes(tampered)))
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(tampered))
    assert runner.invoke(cli, ["backup", "verify", str(damaged)], catch_exceptions=False).exit_code == 1
    answer = _seda(target, "backup", "restore", str(damaged))
    assert answer.exit_code == 1
    assert "do not match its manifest" in answer.output
    assert _rows(target) == 0


def _frame_starts(data: bytes) -> list[int]:
    file = io.BytesIO(data)
    file.seek(len(b"SEDA-BACKUP\x00"))
    starts = []
    while True:
        starts.append(file.tell())
        if _next_frame(file) is None:
            return starts[:-1]


@pytest.mark.parametrize("where", ["before the manifest", "inside a frame", "inside the manifest"])
def test_a_truncated_backup_is_refused_and_nothing_is_kept(
    small: tuple[str, bytes, bytes], tmp_path: Path, where: str
) -> None:
    _, data, _ = small
    starts = _frame_starts(data)
    cut = {
        "before the manifest": starts[-1],  # whole frames only: every table's rows are there
        "inside a frame": (starts[-3] + starts[-2]) // 2,
        "inside the manifest": len(data) - 5,
    }[where]
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    with pytest.raises(BackupTruncatedError):
        _restore(target, data[:cut])
    assert _rows(target) == 0
    with pytest.raises(BackupTruncatedError):
        verify_backup(io.BytesIO(data[:cut]))


def test_bytes_after_the_manifest_are_refused(small: tuple[str, bytes, bytes]) -> None:
    _, data, _ = small
    with pytest.raises(BackupDamagedError):
        verify_backup(io.BytesIO(data + b"\x00"))


def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(
    small: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    url, data, _ = small
    rows = _rows(url)
    with pytest.raises(TargetNotEmptyError):
        with_database(url, lambda database: restoring.restore(database, io.BytesIO(data)))
    backup = tmp_path / "b.backup"
    backup.write_bytes(data)
    answer = _seda(url, "backup", "restore", str(backup))
    assert answer.exit_code == 1
    assert "not empty" in answer.output
    assert _rows(url) == rows


def test_a_backup_of_another_revision_or_format_is_refused_before_anything_is_done(tmp_path: Path) -> None:
    def written(header: Header) -> bytes:
        file = io.BytesIO()
        BackupWriter(file, header).finish(AuditHead(seq=0, hash=bytes(32).hex(), intact=True))
        return file.getvalue()

    now = datetime.now(UTC)
    unknown = written(
        Header(
            format_version=FORMAT_VERSION, revision="9999_later", created_at=now, backend="sqlite", tables=[]
        )
    )
    target = tmp_path / "target.db"
    url = f"sqlite+aiosqlite:///{target}"
    with pytest.raises(UnknownRevisionError):
        _restore(url, unknown)
    path = tmp_path / "unknown.backup"
    path.write_bytes(unknown)
    assert _seda(url, "backup", "restore", str(path)).exit_code == 1
    assert not target.exists()  # not even created, let alone migrated
    with pytest.raises(BackupFormatError):
        restoring.check_header(io.BytesIO(b"PK\x03\x04 a zip file, not a backup"))


def test_a_backup_never_overwrites_a_file(small: tuple[str, bytes, bytes], tmp_path: Path) -> None:
    url, _, _ = small
    existing = tmp_path / "existing"
    existing.write_bytes(b"keep me")
    answer = _seda(url, "backup", "create", "--out", str(existing))
    assert answer.exit_code == 1
    assert existing.read_bytes() == b"keep me"
    assert not (tmp_path / "existing.partial").exists()


def test_a_backup_is_one_snapshot_while_others_write(
    seeded_any: tuple[str, DemoKeys], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = seeded_any
    dump_table = dumping._dump_table
    writes: list[int] = []

    async def write_meanwhile(connection: Any, table: Any, writer: Any) -> Any:
        # Once the dump has begun (it read the schema revision), before its first table,
        # another process appends to the audit chain and commits.
        if not writes:
            other = Database(url)
            try:
                async with other.write_session() as session:
                    entry = await append_audit(
                        session, at=datetime.now(UTC), actor="system", action="test.meanwhile", subject="x"
                    )
                    await session.commit()
                    writes.append(entry.seq)
            finally:
                await other.dispose()
        return await dump_table(connection, table, writer)

    monkeypatch.setattr(dumping, "_dump_table", write_meanwhile)
    out = tmp_path / "during.backup"
    assert _seda(url, "backup", "create", "--out", str(out)).exit_code == 0
    manifest = _manifest(out)
    assert writes
    assert manifest.tables[AuditEntry.__tablename__].rows == writes[0] - 1
    assert manifest.audit_head.seq == writes[0] - 1


def test_the_stored_hash_of_the_anchor_is_the_one_restored(
    small: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    url, data, _ = small
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    restored = _restore(target, data)
    seq, digest = restored.audit_head.split(":")

    async def stored(database: Database) -> bytes | None:
        async with database.sessions() as session:
            return await stored_hash_at(session, int(seq))

    assert with_database(target, stored) == with_database(url, stored) == bytes.fromhex(digest)


def test_a_database_behind_this_seda_s_schema_is_not_backed_up(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0001")
    answer = _seda(url, "backup", "create", "--out", str(tmp_path / "old.backup"))
    assert answer.exit_code == 1
    assert "schema revision" in answer.output
    assert list(tmp_path.glob("old.backup*")) == []


# -- a damaged audit chain, an anchor, a partial file left behind ----------------------------
def _rewrite_entry(url: str, *, rehash: bool) -> None:
    """Change the actor of the second newest audit entry in the SQLite file; with ``rehash``,
    recompute every hash from there on, as a forger who knows the scheme would."""
    path = url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        newest = db.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        db.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = ?", (newest - 1,))
        if not rehash:
            return
        (prev,) = db.execute("SELECT prev_hash FROM audit_log WHERE seq = ?", (newest - 1,)).fetchone()
        for seq in range(newest - 1, newest + 1):
            entry = with_database(url, functools.partial(_entry, seq=seq))
            actor = "someone-else" if seq == newest - 1 else entry.actor
            digest = link_hash(
                prev,
                seq=seq,
                at=entry.at,
                actor=actor,
                action=entry.action,
                subject=entry.subject,
                details=entry.details,
            )
            db.execute(
                "UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE seq = ?", (prev, digest, seq)
            )
            prev = digest


def _audited(url: str, count: int = 3) -> None:
    """Some audit entries, as officers' actions leave them."""

    async def work(database: Database) -> None:
        async with database.write_session() as session:
            for n in range(count):
                await append_audit(
                    session, at=datetime.now(UTC), actor=f"officer:{n}", action="test.acted", subject="x"
                )
            await session.commit()

    with_database(url, work)


async def _entry(database: Database, seq: int) -> AuditEntry:
    async with database.sessions() as session:
        return (await session.scalars(select(AuditEntry).where(AuditEntry.seq == seq))).one()


def test_a_broken_chain_is_backed_up_loudly_and_restored_only_when_accepted(
    small: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    url, _, _ = small
    _audited(url)
    _rewrite_entry(url, rehash=False)
    out = tmp_path / "broken.backup"
    created = _seda(url, "backup", "create", "--out", str(out))
    assert created.exit_code == 1
    assert "AUDIT CHAIN BROKEN in the source database" in created.output
    assert out.exists()  # kept: a copy of a damaged database is evidence
    newest = _manifest(out).tables[AuditEntry.__tablename__].rows
    checked = runner.invoke(cli, ["backup", "verify", str(out)], catch_exceptions=False)
    assert checked.exit_code == 1
    assert f"AUDIT CHAIN IS BROKEN at entry {newest - 1}" in checked.output.replace("\n", " ")

    target_file = tmp_path / "target.db"
    target = f"sqlite+aiosqlite:///{target_file}"
    refused = _seda(target, "backup", "restore", str(out))
    assert refused.exit_code == 1
    assert "Restore refused" in refused.output
    assert "audit chain verified" not in refused.output
    assert not target_file.exists()  # refused before anything was made
    with pytest.raises(AuditChainBrokenError):
        _restore(target, out.read_bytes())
    assert _rows(target) == 0

    accepted = _seda(target, "backup", "restore", str(out), "--accept-broken-chain")
    assert accepted.exit_code == 1
    assert f"AUDIT CHAIN IS BROKEN at entry {newest - 1}" in accepted.output.replace("\n", " ")
    assert "audit chain verified" not in accepted.output
    assert _rows(target) == _rows(url)
    assert _seda(target, "audit", "verify").exit_code == 1


def test_an_anchor_catches_a_rewritten_and_rehashed_chain(
    small: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    url, _, _ = small
    _audited(url)
    genuine = tmp_path / "genuine.backup"
    assert _seda(url, "backup", "create", "--out", str(genuine)).exit_code == 0
    anchor = _manifest(genuine).audit_head.anchor
    good = runner.invoke(cli, ["backup", "verify", str(genuine), "--anchor", anchor], catch_exceptions=False)
    assert good.exit_code == 0, good.output
    assert "holds the anchored entry" in good.output
    malformed = runner.invoke(cli, ["backup", "verify", str(genuine), "--anchor", "12:zz"])
    assert malformed.exit_code == 2

    _rewrite_entry(url, rehash=True)
    forged = tmp_path / "forged.backup"
    assert _seda(url, "backup", "create", "--out", str(forged)).exit_code == 0  # it recomputes
    assert runner.invoke(cli, ["backup", "verify", str(forged)], catch_exceptions=False).exit_code == 0
    caught = runner.invoke(cli, ["backup", "verify", str(forged), "--anchor", anchor], catch_exceptions=False)
    assert caught.exit_code == 1
    assert "does not hold the anchored entry" in caught.output
    with pytest.raises(AnchorMismatchError), forged.open("rb") as file:
        verify_backup(file, (int(anchor.split(":")[0]), bytes.fromhex(anchor.split(":")[1])))

    target_file = tmp_path / "target.db"
    target = f"sqlite+aiosqlite:///{target_file}"
    refused = _seda(target, "backup", "restore", str(forged), "--anchor", anchor)
    assert refused.exit_code == 1
    assert "does not hold the anchored entry" in refused.output
    assert not target_file.exists()
    restored = _seda(target, "backup", "restore", str(genuine), "--anchor", anchor)
    assert restored.exit_code == 0, restored.output
    assert restored.stdout.strip().splitlines()[-1] == anchor


def test_a_restore_that_does_not_hold_the_anchor_keeps_nothing(
    small: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    _, data, _ = small
    seq = int(_manifest_of(data).audit_head.seq)
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    restoring.check_header(io.BytesIO(data))
    migrate.upgrade(target)
    with pytest.raises(AnchorMismatchError):
        with_database(
            target, lambda database: restoring.restore(database, io.BytesIO(data), anchor=(seq, bytes(32)))
        )
    assert _rows(target) == 0


def _manifest_of(data: bytes) -> Manifest:
    return verify_backup(io.BytesIO(data)).manifest


def test_a_partial_file_left_by_a_killed_backup_is_removed_and_no_other_is(
    small: tuple[str, bytes, bytes], tmp_path: Path
) -> None:
    url, data, _ = small
    out = tmp_path / "next.backup"
    partial = tmp_path / "next.backup.partial"
    partial.write_bytes(data[: len(data) // 2])  # what a create killed half way leaves
    made = _seda(url, "backup", "create", "--out", str(out))
    assert made.exit_code == 0, made.output
    assert not partial.exists()
    assert _manifest(out).tables == _manifest_of(data).tables

    other = tmp_path / "other.backup"
    held = tmp_path / "other.backup.partial"
    held.write_bytes(MAGIC)
    with held.open("rb") as writing:  # a create still writing it holds its lock
        fcntl.flock(writing.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = _seda(url, "backup", "create", "--out", str(other))
    assert busy.exit_code == 1
    assert "is writing OUT.partial now" in busy.output
    assert held.read_bytes() == MAGIC

    foreign = tmp_path / "notes.partial"
    foreign.write_bytes(b"someone's notes")
    refused = _seda(url, "backup", "create", "--out", str(tmp_path / "notes"))
    assert refused.exit_code == 1
    assert "not a backup this command left behind" in refused.output
    assert foreign.read_bytes() == b"someone's notes"
