"""Demo key material: a root key, one key per body, a signed directory and policy.

**For the demo only.** In production the root key never touches the server and each
body's key is made on its administrator's device (docs/PROTOCOL.md §6-7). Here the server
makes them all so that ``make run`` works at once and tests can act as officers; the seeds
are written to ``SEDA_DEMO_KEYS_DIR`` (files readable by the owner only).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import crypto
from crypto.directory import encode_signed
from routing.policy import parse_policy
from server.db.models import Body, Institution, Province, PublishedDocument
from server.intake.trust import publish

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "routing" / "policies" / "default.toml"
DIRECTORY_LIFETIME = timedelta(days=90)


class DemoKeys(msgspec.Struct, frozen=True):
    """The demo's secrets as stored in ``bodies.json`` and ``root.key``."""

    root_seed: bytes
    body_seeds: dict[str, bytes]

    @property
    def root_public(self) -> bytes:
        return crypto.root_public_key(self.root_seed)


def load_demo_keys(keys_dir: Path) -> DemoKeys | None:
    try:
        root = bytes.fromhex((keys_dir / "root.key").read_text(encoding="ascii").strip())
        bodies = json.loads((keys_dir / "bodies.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return DemoKeys(root_seed=root, body_seeds={code: bytes.fromhex(seed) for code, seed in bodies.items()})


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def prepare_demo_keys(keys_dir: Path, body_codes: list[str]) -> DemoKeys:
    """Load the demo keys, adding a seed for every body that lacks one (demo CLI only)."""
    keys = load_demo_keys(keys_dir)
    if keys is not None and all(code in keys.body_seeds for code in body_codes):
        return keys
    old = keys.body_seeds if keys else {}
    keys = DemoKeys(
        root_seed=keys.root_seed if keys else crypto.new_seed(),
        body_seeds={code: old.get(code) or crypto.new_seed() for code in body_codes},
    )
    keys_dir.mkdir(parents=True, exist_ok=True)
    _write_private(keys_dir / "root.key", keys.root_seed.hex() + "\n")
    seeds = {code: seed.hex() for code, seed in keys.body_seeds.items()}
    _write_private(keys_dir / "bodies.json", json.dumps(seeds))
    (keys_dir / "root.pub").write_text(keys.root_public.hex() + "\n", encoding="ascii")
    return keys


async def ensure_demo_trust(session: AsyncSession, keys_dir: Path, now: datetime) -> DemoKeys:
    """Make (or reuse) the demo keys and publish a directory valid now; commits.

    Idempotent: with a valid directory published, nothing changes; an expired one is
    re-signed with a higher serial.
    """
    bodies = list(await session.scalars(select(Body).order_by(Body.code)))
    keys = prepare_demo_keys(keys_dir, [body.code for body in bodies])
    if not await _valid_directory_published(session, keys.root_public, now):
        await _publish_demo(session, keys, bodies, now)
        await session.commit()
    return keys


async def _valid_directory_published(session: AsyncSession, root: bytes, now: datetime) -> bool:
    rows = await session.scalars(
        select(PublishedDocument)
        .where(PublishedDocument.kind == "directory")
        .order_by(PublishedDocument.id.desc())
    )
    newest = rows.first()
    if newest is None:
        return False
    try:
        crypto.verify_directory(crypto.directory.decode_signed(newest.signed), root, now=now)
    except crypto.CryptoError:
        return False
    return True


async def _publish_demo(session: AsyncSession, keys: DemoKeys, bodies: list[Body], now: datetime) -> None:
    provinces = dict((await session.execute(select(Province.id, Province.code))).all())
    institutions = list(await session.scalars(select(Institution).order_by(Institution.code)))
    institution_codes = {i.id: i.code for i in institutions}
    policy_bytes = DEFAULT_POLICY.read_bytes()
    policy = parse_policy(policy_bytes)
    serial = 1 + len(
        list(await session.scalars(select(PublishedDocument.id).where(PublishedDocument.kind == "directory")))
    )
    issued = now.astimezone(UTC).replace(microsecond=0) - timedelta(minutes=5)
    directory = crypto.KeyDirectory(
        serial=serial,
        issued_at=issued.strftime("%Y-%m-%dT%H:%M:%SZ"),
        expires_at=(issued + DIRECTORY_LIFETIME).strftime("%Y-%m-%dT%H:%M:%SZ"),
        bodies=[_entry(body, keys.body_seeds[body.code], provinces, institution_codes) for body in bodies],
        policy=crypto.PolicyReference(version=policy.version, sha256=policy.sha256),
        institutions=[crypto.DirectoryInstitution(i.code, provinces[i.province_id]) for i in institutions],
    )
    policy_signed = encode_signed(crypto.sign_document("policy", policy_bytes, keys.root_seed))
    if not await _published(session, policy_signed):
        await publish(session, policy_signed, keys.root_public, now)
    await publish(
        session, encode_signed(crypto.sign_directory(directory, keys.root_seed)), keys.root_public, now
    )


async def _published(session: AsyncSession, signed: bytes) -> bool:
    found = await session.scalar(select(PublishedDocument.id).where(PublishedDocument.signed == signed))
    return found is not None


def _entry(
    body: Body, seed: bytes, provinces: dict[int, str], institutions: dict[int, str]
) -> crypto.DirectoryEntry:
    public = crypto.public_key_of(seed)
    return crypto.DirectoryEntry(
        body=body.code,
        body_type=body.body_type,
        level=body.level.value,
        province=provinces[body.province_id] if body.province_id else None,
        institution=institutions[body.institution_id] if body.institution_id else None,
        name_fa=body.name_fa,
        name_en=body.name_en,
        key_id=public.key_id,
        public_key=public.public_key,
    )
