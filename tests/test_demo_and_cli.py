"""``seda db upgrade``, ``seda demo`` and ``seda audit verify`` on SQLite and PostgreSQL."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from routing.bodies import BODY_TYPES
from routing.vocabulary import Level
from server.audit import append_audit
from server.cli import cli
from server.db.models import AuditEntry, Body, Institution, Province, PublishedDocument
from server.demo.provinces import PROVINCES
from server.demo.service import DEMO_INSTITUTIONS
from tests.helpers import with_session

EXPECTED_BODIES = sum(
    (len(PROVINCES) * len(DEMO_INSTITUTIONS) if Level.INSTITUTION in t.levels else 0)
    + (len(PROVINCES) if Level.PROVINCE in t.levels else 0)
    + (1 if Level.NATIONAL in t.levels else 0)
    for t in BODY_TYPES
)


def run_cli(url: str, *args: str, keys: str | None = None) -> tuple[int, str]:
    # Demo keys go to a scratch folder, never into the working tree.
    keys = keys or tempfile.mkdtemp(prefix="seda-demo-keys-")
    result = CliRunner().invoke(cli, list(args), env={"SEDA_DATABASE_URL": url, "SEDA_DEMO_KEYS_DIR": keys})
    return result.exit_code, result.output


async def _published(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(PublishedDocument)) or 0)


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    async def count(model: type[Province | Institution | Body]) -> int:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    return await count(Province), await count(Institution), await count(Body)


def test_upgrade_then_demo_creates_provinces_institutions_and_bodies_once(database_url: str) -> None:
    assert run_cli(database_url, "db", "upgrade")[0] == 0
    keys = tempfile.mkdtemp(prefix="seda-demo-keys-")
    code, output = run_cli(database_url, "demo", keys=keys)
    assert code == 0, output
    assert "31 provinces" in output
    expected = (31, 31 * len(DEMO_INSTITUTIONS), EXPECTED_BODIES)
    assert with_session(database_url, _counts) == expected
    code, output = run_cli(database_url, "demo", keys=keys)
    assert code == 0
    assert "Already present" in output
    assert with_session(database_url, _counts) == expected
    assert with_session(database_url, _published) == 2  # one policy, one directory: not re-published


def test_demo_has_every_article_114_body_type_nationally_or_in_every_province(migrated_url: str) -> None:
    assert run_cli(migrated_url, "demo")[0] == 0

    async def types_by_level(session: AsyncSession) -> set[tuple[str, str]]:
        rows = await session.execute(select(Body.body_type, Body.level).distinct())
        return {(body_type, str(level)) for body_type, level in rows}

    found = with_session(migrated_url, types_by_level)
    assert {t for t, _ in found} == {t.code for t in BODY_TYPES}
    assert ("provincial_dg_prisons", "province") in found
    assert ("general_inspection_organization", "national") in found


def test_audit_verify_passes_on_intact_chain_and_fails_after_tampering(migrated_url: str) -> None:
    assert run_cli(migrated_url, "demo")[0] == 0
    code, output = run_cli(migrated_url, "audit", "verify")
    assert code == 0
    assert "intact" in output

    async def tamper(session: AsyncSession) -> None:
        await session.execute(update(AuditEntry).values(details='{"provinces":30}'))
        await session.commit()

    with_session(migrated_url, tamper)
    code, output = run_cli(migrated_url, "audit", "verify")
    assert code == 1
    assert "broken at entry 1" in output


def test_demo_against_an_unreachable_database_fails_clearly_without_leaking_the_url() -> None:
    url = "postgresql+asyncpg://canary-user:canary-pass@127.0.0.1:1/none"
    code, output = run_cli(url, "demo")
    assert code == 1
    assert "failed" in output
    assert "canary" not in output


@pytest.mark.parametrize("args", [["--help"], ["db", "--help"], ["serve", "--help"]])
def test_help_is_available(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0


def test_an_anchored_head_detects_a_cut_chain(migrated_url: str) -> None:
    assert run_cli(migrated_url, "demo")[0] == 0

    async def add_entries(session: AsyncSession) -> None:
        for n in range(3):
            await append_audit(
                session, at=datetime.now(UTC), actor="operator", action="test", subject=f"s{n}"
            )
        await session.commit()

    with_session(migrated_url, add_entries)
    code, head = run_cli(migrated_url, "audit", "head")
    assert code == 0
    anchor = head.strip().splitlines()[-1]
    assert anchor.startswith("4:")
    assert run_cli(migrated_url, "audit", "verify", "--anchor", anchor)[0] == 0

    async def cut_the_end(session: AsyncSession) -> None:
        await session.execute(delete(AuditEntry).where(AuditEntry.seq >= 3))
        await session.commit()

    with_session(migrated_url, cut_the_end)
    assert run_cli(migrated_url, "audit", "verify")[0] == 0  # without the anchor a cut looks intact
    code, output = run_cli(migrated_url, "audit", "verify", "--anchor", anchor)
    assert code == 1
    assert "cut or rewritten" in output


def test_reading_commands_do_not_create_a_database_by_typo(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'typo.db'}"
    code, output = run_cli(url, "audit", "verify")
    assert code == 2
    assert "No database" in output
    assert not (tmp_path / "typo.db").exists()
