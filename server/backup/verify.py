"""Checking a backup away from any database: its frames, counts and hashes against the
manifest, and the audit chain it holds recomputed link by link."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO, NamedTuple

import msgspec

from server.audit import ChainVerifier
from server.backup.errors import AnchorMismatchError, BackupDamagedError
from server.backup.stream import Header, Manifest, Rows, TableStart, read_frames
from server.db.models import AuditEntry

_AUDIT = AuditEntry.__tablename__


class _Entry(msgspec.Struct, frozen=True):
    """An audit entry as the backup holds it (what ``ChainVerifier`` reads)."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: str
    prev_hash: bytes
    entry_hash: bytes


def _entries(columns: list[str], rows: Rows) -> list[_Entry]:
    try:
        return [msgspec.convert(dict(zip(columns, row, strict=True)), _Entry) for row in rows.rows]
    except msgspec.ValidationError:
        raise BackupDamagedError from None


class Verified(NamedTuple):
    """A whole backup: its header, its manifest, and the first audit entry whose link is
    broken (None when the chain is intact; the caller decides what a broken one means)."""

    header: Header
    manifest: Manifest
    first_bad_seq: int | None


def verify_backup(file: BinaryIO, anchor: tuple[int, bytes] | None = None) -> Verified:
    """A backup that is whole and whose audit chain recomputes to the head its manifest
    records, and, with ``anchor`` (SEQ, HASH recorded outside), whose intact chain holds that
    entry with that hash (a chain rewritten and re-hashed recomputes, but not to the anchor);
    a ``BackupError`` otherwise."""
    chain = ChainVerifier()
    header: Header | None = None
    columns: list[str] | None = None
    anchored: bytes | None = None
    for frame in read_frames(file):
        match frame:
            case Header():
                header = frame
            case TableStart():
                columns = frame.columns if frame.name == _AUDIT else None
            case Rows() if columns is not None:
                for entry in _entries(columns, frame):
                    if chain.feed(entry) and anchor is not None and entry.seq == anchor[0]:
                        anchored = entry.entry_hash
            case Manifest():
                _check_chain(chain, frame)
                if anchor is not None and anchored != anchor[1]:
                    raise AnchorMismatchError
                assert header is not None  # noqa: S101 - read_frames yields the header first
                return Verified(header, frame, chain.result().first_bad_seq)
            case _:
                pass
    raise BackupDamagedError  # pragma: no cover - read_frames ends with the manifest or raises


def _check_chain(chain: ChainVerifier, manifest: Manifest) -> None:
    result = chain.result()
    head = manifest.audit_head
    if (result.checked, result.head_hash.hex(), result.ok) != (head.seq, head.hash, head.intact):
        raise BackupDamagedError
