"""`seda audit verify` on a stored chain of console acts (issue 7): changing any field of any
entry, deleting an entry, or swapping two is detected, and the first broken entry is named."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit import append_audit, verify_stored_chain
from server.db.lifecycle import Database
from server.db.models import AuditEntry
from tests.intake_support import run_coroutine

SEDA = str(Path(sys.executable).parent / "seda")
ENTRIES = 8
T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)
FIELDS = {
    "at": T0 + timedelta(days=3),
    "actor": "officer:999",
    "action": "report.closed",
    "subject": "report:00000000-0000-4000-8000-000000000000",
    "details": '{"body":"elsewhere"}',
    "prev_hash": b"\x00" * 31 + b"\x01",
    "entry_hash": b"\x02" * 32,
}


def _with(url: str, *works: object) -> object:
    async def run() -> object:
        database = Database(url)
        try:
            result = None
            for work in works:
                async with database.write_session() as session:
                    result = await work(session)  # type: ignore[operator]
                    await session.commit()
            return result
        finally:
            await database.dispose()

    return run_coroutine(run())


async def _write_chain(session: AsyncSession) -> None:
    for n in range(ENTRIES):
        await append_audit(
            session,
            at=T0 + timedelta(minutes=n),
            actor=f"officer:{n % 3 + 1}",
            action="report.viewed",
            subject=f"report:{n}",
            details={"body": "provincial_dg_prisons--tehran"},
        )


async def _verify(session: AsyncSession) -> int | None:
    return (await verify_stored_chain(session)).first_bad_seq


def _cli(url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEDA_")}
    env["SEDA_DATABASE_URL"] = url
    return subprocess.run(
        [SEDA, "audit", "verify"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_changing_any_field_of_any_entry_is_named_by_the_verifier(migrated_url: str, field: str) -> None:
    _with(migrated_url, _write_chain)
    for seq in range(1, ENTRIES + 1):
        original: dict[str, object] = {}

        async def tamper(
            session: AsyncSession, seq: int = seq, original: dict[str, object] = original
        ) -> None:
            row = await session.get_one(AuditEntry, seq)
            original[field] = getattr(row, field)
            await session.execute(
                update(AuditEntry).where(AuditEntry.seq == seq).values({field: FIELDS[field]})
            )

        async def restore(
            session: AsyncSession, seq: int = seq, original: dict[str, object] = original
        ) -> None:
            await session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(original))

        assert _with(migrated_url, tamper, _verify) == seq, f"{field} of entry {seq}"
        _with(migrated_url, restore)
    assert _with(migrated_url, _verify) is None


def test_the_command_names_a_changed_a_deleted_and_a_swapped_entry(migrated_url: str) -> None:
    _with(migrated_url, _write_chain)
    intact = _cli(migrated_url)
    assert intact.returncode == 0, intact.stderr
    assert f"{ENTRIES} entries" in intact.stderr

    async def change(session: AsyncSession) -> None:
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="officer:42"))

    _with(migrated_url, change)
    changed = _cli(migrated_url)
    assert changed.returncode == 1
    assert "broken at entry 3" in changed.stderr


def test_deleting_or_swapping_entries_is_named(migrated_url: str) -> None:
    _with(migrated_url, _write_chain)

    async def delete_fifth(session: AsyncSession) -> None:
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == 5))

    _with(migrated_url, delete_fifth)
    deleted = _cli(migrated_url)
    assert deleted.returncode == 1
    assert "broken at entry" in deleted.stderr
    assert _with(migrated_url, _verify) == 6  # the entry after the gap no longer links


def test_swapping_two_entries_is_named(migrated_url: str) -> None:
    _with(migrated_url, _write_chain)

    async def swap(session: AsyncSession) -> None:
        # Renumber 2 and 6 through a free number (the primary key forbids a direct swap).
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=1000))
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 6).values(seq=2))
        await session.execute(update(AuditEntry).where(AuditEntry.seq == 1000).values(seq=6))

    _with(migrated_url, swap)
    swapped = _cli(migrated_url)
    assert swapped.returncode == 1
    assert "broken at entry 2" in swapped.stderr
