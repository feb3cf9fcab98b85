"""Writing a backup: every table of the metadata, parents first, in one read transaction.

The dump is one snapshot: on PostgreSQL a ``REPEATABLE READ``, read-only transaction; on
SQLite one ``BEGIN DEFERRED`` read transaction, which in WAL mode sees a single snapshot and
never blocks writers. Rows are streamed and written in batches, so memory stays bounded
whatever the size of the database. Nothing is decrypted: columns are copied as stored.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import stat
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.audit import ChainedEntry, ChainVerifier
from server.backup.errors import (
    BackupExistsError,
    BackupInProgressError,
    PartialExistsError,
    SourceNotCurrentError,
)
from server.backup.stream import FORMAT_VERSION, MAGIC, AuditHead, BackupWriter, Header, Manifest
from server.db import migrate
from server.db.base import Base
from server.db.models import AuditEntry

BATCH_ROWS = 1000
BATCH_BYTES = 8 * 1024 * 1024  # a batch of large rows (minutes, upload chunks) ends sooner


def backup_tables() -> Sequence[Table]:
    """Every table Sedā keeps, parents before the tables that refer to them."""
    return Base.metadata.sorted_tables


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One read transaction that sees a single, consistent state of the database."""
    async with engine.connect() as opened:
        connection = opened
        if opened.dialect.name == "postgresql":
            connection = await opened.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        async with connection.begin():
            yield connection


def _size(row: Sequence[Any]) -> int:
    return sum(len(value) if isinstance(value, bytes | str) else 8 for value in row)


async def _dump_table(connection: AsyncConnection, table: Table, writer: BackupWriter) -> AuditHead | None:
    writer.table(str(table.name), [str(column.name) for column in table.columns])
    chain = ChainVerifier() if table is AuditEntry.__table__ else None
    result = await connection.stream(select(table).order_by(*table.primary_key.columns))
    batch: list[list[Any]] = []
    size = 0
    async for row in result:
        if chain is not None:
            chain.feed(cast("ChainedEntry", row))  # an audit_log row has its fields
        batch.append(list(row))
        size += _size(row)
        if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
            writer.rows(batch)
            batch, size = [], 0
    if batch:
        writer.rows(batch)
    if chain is None:
        return None
    verified = chain.result()
    return AuditHead(seq=verified.checked, hash=verified.head_hash.hex(), intact=verified.ok)


async def dump(engine: AsyncEngine, file: BinaryIO, now: datetime) -> Manifest:
    """Write a backup of the database to ``file``; its manifest."""
    async with snapshot(engine) as connection:
        revision = await connection.run_sync(migrate.current_revision)
        if revision is None or revision != migrate.head_revision():
            raise SourceNotCurrentError
        tables = backup_tables()
        header = Header(
            format_version=FORMAT_VERSION,
            revision=revision,
            created_at=now,
            backend=connection.dialect.name,
            tables=[str(table.name) for table in tables],
        )
        writer = BackupWriter(file, header)
        audit_head = AuditHead(seq=0, hash=bytes(32).hex(), intact=True)
        for table in tables:
            head = await _dump_table(connection, table, writer)
            audit_head = head or audit_head
        return writer.finish(audit_head)


async def dump_to_file(engine: AsyncEngine, out: Path, now: datetime) -> Manifest:
    """Write a backup to the new file ``out`` with mode 0600 (it holds what the database
    holds). It is written under a temporary name, locked while it is written, and appears under
    ``out`` only complete and on disk; an existing file is never overwritten."""
    if await asyncio.to_thread(out.exists):
        raise BackupExistsError
    partial = out.with_name(out.name + ".partial")
    descriptor = _open_partial(partial)
    try:
        with os.fdopen(descriptor, "wb") as file:
            manifest = await dump(engine, file, now)
            file.flush()
            os.fsync(file.fileno())
            try:
                os.link(partial, out)  # fails rather than replace a file made meanwhile
            except FileExistsError:
                raise BackupExistsError from None
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()
    _sync_directory(out.parent)
    return manifest


def _open_partial(partial: Path) -> int:
    """A new ``OUT.partial``, locked (``flock``) for as long as it is written. One a killed
    ``backup create`` left behind (nobody holds its lock) is removed first."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        descriptor = os.open(partial, flags, 0o600)
    except FileExistsError:
        _remove_stale(partial)
        descriptor = os.open(partial, flags, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return descriptor


def _remove_stale(partial: Path) -> None:
    """Remove ``partial`` if it is what a killed ``backup create`` leaves: a regular file of
    this user that nobody holds locked, empty or starting as a backup does. Anything else is
    not ours to delete."""
    try:
        descriptor = os.open(partial, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:  # a symbolic link, or not readable
        raise PartialExistsError from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            raise PartialExistsError
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupInProgressError from None
        if not MAGIC.startswith(os.read(descriptor, len(MAGIC))):
            raise PartialExistsError
        partial.unlink()  # under its lock, so no running create is writing it
    finally:
        os.close(descriptor)


def _sync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
