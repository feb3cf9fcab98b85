"""The backup file format, version 1: framed MessagePack, written and read one frame at a time.

A backup file is the 12 bytes ``SEDA-BACKUP\\x00`` followed by frames. A frame is a 4-byte
big-endian length and that many bytes of MessagePack encoding one of the structs below, told
apart by their ``kind`` field::

    Header        format version, Alembic revision, creation time, source backend, table order
    then, for each table in foreign-key order (parents first):
      TableStart  the table's name and its column names
      Rows ...    batches of rows, each row a list of values in the column order
    Manifest      for each table its row count and the SHA-256 of its frames (TableStart and
                  Rows, length prefixes included); the audit chain's head; the SHA-256 of
                  every byte of the file before the manifest's own frame

Values are integers, strings, booleans, nil, binary (ciphertext is copied byte for byte),
timestamps (the MessagePack extension, UTC) and UUIDs as canonical strings. The hashes catch
truncation and damage, not forgery: whoever can write the file can recompute them. Forgery of
the audit trail is caught by the head recorded elsewhere (``seda audit head``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import msgspec

from server.backup.errors import (
    BackupDamagedError,
    BackupFormatError,
    BackupTruncatedError,
    UnsupportedFormatError,
)

MAGIC = b"SEDA-BACKUP\x00"
FORMAT_VERSION = 1
# A frame holds one batch of rows; a single row (a box's minutes, an upload chunk) is far
# below this, and the bound stops a damaged length from asking for gigabytes.
MAX_FRAME = 256 * 1024 * 1024
_LENGTH = 4


class Header(msgspec.Struct, frozen=True, tag="header", tag_field="kind", forbid_unknown_fields=True):
    format_version: int
    revision: str
    created_at: datetime
    backend: str
    tables: list[str]


class TableStart(msgspec.Struct, frozen=True, tag="table", tag_field="kind", forbid_unknown_fields=True):
    name: str
    columns: list[str]


class Rows(msgspec.Struct, frozen=True, tag="rows", tag_field="kind", forbid_unknown_fields=True):
    rows: list[list[Any]]


class TableSummary(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rows: int
    sha256: str


class AuditHead(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The chain as it was dumped: ``seq:hash`` of the newest intact entry, and whether every
    entry was intact (a broken chain is backed up as it is, and said so)."""

    seq: int
    hash: str
    intact: bool

    @property
    def anchor(self) -> str:
        return f"{self.seq}:{self.hash}"


class Manifest(msgspec.Struct, frozen=True, tag="manifest", tag_field="kind", forbid_unknown_fields=True):
    format_version: int
    revision: str
    created_at: datetime
    tables: dict[str, TableSummary]
    audit_head: AuditHead
    stream_sha256: str


Frame = Header | TableStart | Rows | Manifest
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Frame)


class BackupWriter:
    """Writes frames to ``file`` and keeps the hashes and counts the manifest needs."""

    def __init__(self, file: BinaryIO, header: Header) -> None:
        self._file = file
        self._header = header
        self._stream = hashlib.sha256()
        self._tables: dict[str, TableSummary] = {}
        self._table: tuple[str, Any, int] | None = None  # name, its hash, its rows so far
        self._write(MAGIC)
        self._frame(header)

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._stream.update(data)

    def _frame(self, frame: Frame) -> None:
        payload = _encoder.encode(frame)
        if len(payload) > MAX_FRAME:
            raise BackupFormatError
        data = len(payload).to_bytes(_LENGTH, "big") + payload
        self._write(data)
        if self._table is not None:
            self._table[1].update(data)

    def _close_table(self) -> None:
        if self._table is not None:
            name, digest, count = self._table
            self._tables[name] = TableSummary(rows=count, sha256=digest.hexdigest())
            self._table = None

    def table(self, name: str, columns: list[str]) -> None:
        self._close_table()
        self._table = (name, hashlib.sha256(), 0)
        self._frame(TableStart(name=name, columns=columns))

    def rows(self, rows: list[list[Any]]) -> None:
        if self._table is None:
            raise BackupFormatError
        self._frame(Rows(rows=rows))
        name, digest, count = self._table
        self._table = (name, digest, count + len(rows))

    def finish(self, audit_head: AuditHead) -> Manifest:
        self._close_table()
        manifest = Manifest(
            format_version=self._header.format_version,
            revision=self._header.revision,
            created_at=self._header.created_at,
            tables=self._tables,
            audit_head=audit_head,
            stream_sha256=self._stream.hexdigest(),
        )
        self._frame(manifest)
        return manifest


def _read_exact(file: BinaryIO, size: int) -> bytes:
    data = file.read(size)
    if len(data) != size:
        raise BackupTruncatedError
    return data


def _next_frame(file: BinaryIO) -> tuple[Frame, bytes] | None:
    """The next frame and its bytes (length prefix included); None at the end of the file."""
    prefix = file.read(_LENGTH)
    if not prefix:
        return None
    if len(prefix) != _LENGTH:
        raise BackupTruncatedError
    length = int.from_bytes(prefix, "big")
    if length > MAX_FRAME:
        raise BackupFormatError
    payload = _read_exact(file, length)
    try:
        return _decoder.decode(payload), prefix + payload
    except msgspec.DecodeError:
        raise BackupFormatError from None


def _header(file: BinaryIO) -> tuple[Header, bytes]:
    if file.read(len(MAGIC)) != MAGIC:
        raise BackupFormatError
    found = _next_frame(file)
    if found is None:
        raise BackupTruncatedError
    header, data = found
    if not isinstance(header, Header):
        raise BackupFormatError
    if header.format_version != FORMAT_VERSION:
        raise UnsupportedFormatError
    return header, data


def read_header(file: BinaryIO) -> Header:
    """The header of a backup (the file is left after it); typed errors for anything else."""
    return _header(file)[0]


class _Checker:
    """Follows the frames' order and recomputes every hash and count as they go by."""

    def __init__(self, header: Header, header_bytes: bytes) -> None:
        self.header = header
        self.stream = hashlib.sha256(MAGIC + header_bytes)
        self.tables: dict[str, TableSummary] = {}
        self.current: tuple[TableStart, Any, int] | None = None

    def close_table(self) -> None:
        if self.current is not None:
            start, digest, count = self.current
            self.tables[start.name] = TableSummary(rows=count, sha256=digest.hexdigest())
            self.current = None

    def table(self, start: TableStart, data: bytes) -> None:
        self.close_table()
        expected = (
            self.header.tables[len(self.tables)] if len(self.tables) < len(self.header.tables) else None
        )
        if start.name != expected:
            raise BackupDamagedError
        self.current = (start, hashlib.sha256(data), 0)
        self.stream.update(data)

    def rows(self, rows: Rows, data: bytes) -> None:
        if self.current is None:
            raise BackupFormatError
        start, digest, count = self.current
        if any(len(row) != len(start.columns) for row in rows.rows):
            raise BackupDamagedError
        digest.update(data)
        self.stream.update(data)
        self.current = (start, digest, count + len(rows.rows))

    def manifest(self, manifest: Manifest) -> None:
        self.close_table()
        intact = (
            manifest.format_version == self.header.format_version
            and manifest.revision == self.header.revision
            and manifest.created_at == self.header.created_at
            and list(self.tables) == self.header.tables
            and manifest.tables == self.tables
            and manifest.stream_sha256 == self.stream.hexdigest()
        )
        if not intact:
            raise BackupDamagedError


def read_frames(file: BinaryIO) -> Iterator[Frame]:
    """Every frame of a backup in order, each checked as it is read: the order of frames, the
    tables the header announced, and at the end every count and hash against the manifest.
    The manifest is yielded last, only once everything matched; anything else raises a
    ``BackupError`` (a caller that wrote what it read must then undo it)."""
    header, header_bytes = _header(file)
    yield header
    checker = _Checker(header, header_bytes)
    while (found := _next_frame(file)) is not None:
        frame, data = found
        match frame:
            case TableStart():
                checker.table(frame, data)
            case Rows():
                checker.rows(frame, data)
            case Manifest():
                checker.manifest(frame)
                if file.read(1):
                    raise BackupDamagedError  # bytes after the manifest
                yield frame
                return
            case Header():
                raise BackupFormatError
        yield frame
    raise BackupTruncatedError  # the file ended before its manifest
