"""Checking a backup away from any database: its frames, counts and hashes against the
manifest, and the audit chain it holds recomputed link by link."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

import msgspec

from server.audit import ChainVerifier
from server.backup.errors import BackupDamagedError
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


def verify_backup(file: BinaryIO) -> tuple[Header, Manifest]:
    """The header and manifest of a backup that is whole and whose audit chain recomputes to
    the head its manifest records; a ``BackupError`` otherwise."""
    chain = ChainVerifier()
    header: Header | None = None
    columns: list[str] | None = None
    for frame in read_frames(file):
        match frame:
            case Header():
                header = frame
            case TableStart():
                columns = frame.columns if frame.name == _AUDIT else None
            case Rows() if columns is not None:
                for entry in _entries(columns, frame):
                    chain.feed(entry)
            case Manifest():
                _check_chain(chain, frame)
                assert header is not None  # noqa: S101 - read_frames yields the header first
                return header, frame
            case _:
                pass
    raise BackupDamagedError  # pragma: no cover - read_frames ends with the manifest or raises


def _check_chain(chain: ChainVerifier, manifest: Manifest) -> None:
    result = chain.result()
    head = manifest.audit_head
    if (result.checked, result.head_hash.hex(), result.ok) != (head.seq, head.hash, head.intact):
        raise BackupDamagedError
