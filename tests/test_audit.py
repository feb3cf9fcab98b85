"""The audit log is a hash chain: any change, removal or reordering is detected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit import (
    GENESIS_HASH,
    append_audit,
    canonical_details,
    link_hash,
    verify_chain,
    verify_stored_chain,
)
from server.db.lifecycle import Database
from server.db.models import AuditEntry
from tests.helpers import with_session

T0 = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)


class Entry(msgspec.Struct):
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: bytes
    entry_hash: bytes


def build_chain(count: int) -> list[Entry]:
    entries: list[Entry] = []
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        at = T0 + timedelta(seconds=seq)
        details = canonical_details({"n": seq})
        fields = {"seq": seq, "at": at, "actor": "officer:1", "action": "report.read", "subject": "report:x"}
        entry_hash = link_hash(prev, details=details, **fields)  # type: ignore[arg-type]
        entries.append(Entry(**fields, details=details, prev_hash=prev, entry_hash=entry_hash))  # type: ignore[arg-type]
        prev = entry_hash
    return entries


def test_an_intact_chain_verifies() -> None:
    result = verify_chain(build_chain(5))
    assert result.ok
    assert result.checked == 5


@given(count=st.integers(min_value=2, max_value=12), data=st.data())
def test_changing_any_field_of_any_entry_is_detected(count: int, data: st.DataObject) -> None:
    chain = build_chain(count)
    victim = data.draw(st.integers(min_value=0, max_value=count - 1))
    field = data.draw(st.sampled_from(["actor", "action", "subject", "details"]))
    setattr(chain[victim], field, getattr(chain[victim], field) + "!")
    result = verify_chain(chain)
    assert result.first_bad_seq == victim + 1
    assert result.checked == victim


@given(count=st.integers(min_value=3, max_value=12), data=st.data())
def test_removing_or_swapping_entries_is_detected(count: int, data: st.DataObject) -> None:
    chain = build_chain(count)
    index = data.draw(st.integers(min_value=0, max_value=count - 2))
    removed = chain[:index] + chain[index + 1 :]
    assert not verify_chain(removed).ok
    swapped = chain[:]
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    assert not verify_chain(swapped).ok


def test_details_are_canonical_json() -> None:
    assert canonical_details({"b": 1, "a": "x"}) == '{"a":"x","b":1}'


def test_stored_chain_round_trips_and_detects_a_deleted_entry(migrated_url: str) -> None:
    async def write(session: AsyncSession) -> None:
        for n in range(3):
            await append_audit(
                session, at=T0 + timedelta(minutes=n), actor="operator", action="test", subject=f"s{n}"
            )
        await session.commit()

    async def verify(session: AsyncSession) -> tuple[bool, int]:
        result = await verify_stored_chain(session)
        return result.ok, result.checked

    async def delete_second(session: AsyncSession) -> None:
        await session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
        await session.commit()

    with_session(migrated_url, write)
    assert with_session(migrated_url, verify) == (True, 3)
    with_session(migrated_url, delete_second)
    assert with_session(migrated_url, verify) == (False, 1)


@pytest.mark.parametrize("seq", [0, 2])
def test_a_chain_must_start_at_one(seq: int) -> None:
    chain = build_chain(1)
    chain[0].seq = seq
    assert verify_chain(chain).first_bad_seq == seq


def test_an_entry_written_with_a_non_utc_time_still_verifies(migrated_url: str) -> None:
    tehran = timezone(timedelta(hours=3, minutes=30))

    async def write(session: AsyncSession) -> None:
        await append_audit(session, at=datetime.now(tehran), actor="operator", action="test", subject="s")
        await append_audit(session, at=datetime.now(UTC), actor="operator", action="test", subject="t")
        await session.commit()

    async def verify(session: AsyncSession) -> bool:
        return (await verify_stored_chain(session)).ok

    with_session(migrated_url, write)
    assert with_session(migrated_url, verify)


def test_concurrent_appends_all_succeed_and_never_fork_the_chain(migrated_url: str) -> None:
    async def run() -> tuple[bool, int]:
        database = Database(migrated_url)
        try:

            async def append(n: int) -> None:
                async with database.write_session() as session:
                    await append_audit(session, at=T0, actor="officer:1", action="test", subject=f"s{n}")
                    await session.commit()

            await asyncio.gather(*(append(n) for n in range(8)))
            async with database.sessions() as session:
                result = await verify_stored_chain(session)
                return result.ok, result.checked
        finally:
            await database.dispose()

    assert asyncio.run(run()) == (True, 8)
