"""Kiosk test support: a kiosk made and approved as an operator would, enrolled with its own
device key, and a search of every file it wrote."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from kiosk_client.device import Device, enrol
from routing.vocabulary import Channel
from server.db.lifecycle import Database
from server.db.models import Report
from server.kiosks import service
from tests.intake_support import file_haystacks, run_coroutine

INSTITUTION = "tehran-central"


def make_kiosk(url: str, institution: str = INSTITUTION) -> tuple[int, str]:
    """An operator's ``seda kiosk add``: the kiosk's id and one-time code."""

    async def work() -> tuple[int, str]:
        database = Database(url)
        try:
            async with database.write_session() as session:
                kiosk, code = await service.create_kiosk(
                    session, institution=institution, label="ward 1", now=datetime.now(UTC), by="operator"
                )
                await session.commit()
                return kiosk.id, code
        finally:
            await database.dispose()

    return run_coroutine(work())


def set_kiosk(url: str, kiosk_id: int, *, fingerprint: str | None = None, revoke: bool = False) -> None:
    """An operator approves (after reading the kiosk's fingerprint) or revokes a kiosk."""

    async def work() -> None:
        database = Database(url)
        try:
            async with database.write_session() as session:
                if revoke:
                    await service.revoke_kiosk(session, kiosk_id, datetime.now(UTC), "operator")
                else:
                    assert fingerprint is not None
                    await service.approve_kiosk(session, kiosk_id, fingerprint, datetime.now(UTC), "operator")
                await session.commit()
        finally:
            await database.dispose()

    run_coroutine(work())


def enrolled_kiosk(
    url: str, http: httpx.Client, server: str, home: Path, root_public: bytes, *, approve: bool = True
) -> Device:
    """A kiosk enrolled in ``home`` through ``http`` (and approved, unless told not to)."""
    kiosk_id, code = make_kiosk(url)
    done = enrol(home, http, server, code, root_public)
    assert done.kiosk_id == kiosk_id
    if approve:
        set_kiosk(url, kiosk_id, fingerprint=done.fingerprint)
    return Device.load(home)


def files_containing(root: Path, *needles: bytes) -> list[str]:
    """The files under ``root`` (SQLite's journal and WAL included) holding a needle."""
    return [name for name, data in file_haystacks(root).items() if any(needle in data for needle in needles)]


def kiosk_reports(url: str) -> list[str]:
    """The ids of the reports stored with the kiosk channel."""

    async def work() -> list[str]:
        database = Database(url)
        try:
            async with database.sessions() as session:
                found = await session.scalars(select(Report.id).where(Report.channel == Channel.KIOSK))
                return [str(report_id) for report_id in found]
        finally:
            await database.dispose()

    return run_coroutine(work())
