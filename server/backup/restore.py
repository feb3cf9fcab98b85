"""Restoring a backup into an empty database at the same schema revision, in one transaction.

The rows are inserted as they are read; only when the whole file has been read and every
count and hash matched its manifest, the row counts are checked against the manifest again,
the audit chain verifies to the head the manifest recorded (and is intact, unless a broken one
is accepted explicitly, and holds the operator's anchor when one is given), are the console
sessions deleted (officers sign in again), the sequences reset (PostgreSQL) and the
transaction committed. Anything else rolls it back: no row is kept. (PostgreSQL's ``setval``
is not transactional: a failure after the sequences were reset, such as the commit itself,
can leave them advanced; harmless, as ids are only ever taken from them.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

import msgspec
from sqlalchemy import Integer, Table, delete, func, insert, inspect, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from server.audit import stored_hash_at, verify_stored_chain
from server.backup.dump import backup_tables
from server.backup.errors import (
    AnchorMismatchError,
    AuditChainBrokenError,
    BackupDamagedError,
    BackupFormatError,
    RestoreMismatchError,
    TargetNotEmptyError,
    UnknownRevisionError,
)
from server.backup.stream import Header, Manifest, Rows, TableStart, read_frames, read_header
from server.db import migrate
from server.db.lifecycle import Database
from server.db.models import OfficerSession

_VERSION_TABLE = "alembic_version"


class Restored(msgspec.Struct, frozen=True):
    """What was restored: rows per table, and the audit chain as verified in the database."""

    tables: dict[str, int]
    audit_entries: int
    audit_head: str
    sessions_ended: int  # console sessions of the backup, deleted: officers sign in again
    first_bad_seq: int | None  # the first broken audit entry (a broken chain accepted)


def check_header(file: BinaryIO) -> Header:
    """The backup's header, refused unless this Sedā's migrations end at its revision."""
    header = read_header(file)
    if header.revision != migrate.head_revision():
        raise UnknownRevisionError
    return header


async def is_empty(connection: AsyncConnection) -> bool:
    """Whether no table of the database, Sedā's or any other, holds a row (the schema alone
    may exist: a database that was only migrated is empty)."""
    names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    for name in names:
        if name == _VERSION_TABLE:
            continue
        found = await connection.scalar(select(literal_column("1")).select_from(table(name)).limit(1))
        if found is not None:
            return False
    return True


async def require_empty(database: Database) -> None:
    async with database.engine.connect() as connection:
        if not await is_empty(connection):
            raise TargetNotEmptyError


Converter = Callable[[Any], Any]


def _as_uuid(value: Any) -> Any:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        raise BackupDamagedError from None  # caught here, before the manifest's hashes are


def _converters(target: Table, columns: Sequence[str]) -> list[Converter | None]:
    """How each stored value becomes what the column binds (UUIDs travel as strings)."""
    if list(columns) != [column.name for column in target.columns]:
        raise BackupDamagedError  # same revision, so the same columns in the same order
    return [_as_uuid if _python_type(column.type) is uuid.UUID else None for column in target.columns]


def _python_type(column_type: Any) -> type | None:
    try:
        return column_type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _records(
    columns: Sequence[str], converters: Sequence[Converter | None], rows: Rows
) -> list[dict[str, Any]]:
    records = []
    for row in rows.rows:
        values = [
            value if convert is None else convert(value)
            for value, convert in zip(row, converters, strict=True)
        ]
        records.append(dict(zip(columns, values, strict=True)))
    return records


async def _insert_all(session: AsyncSession, file: BinaryIO) -> Manifest:
    tables = {t.name: t for t in backup_tables()}
    current: tuple[Table, list[str], list[Converter | None]] | None = None
    for frame in read_frames(file):
        match frame:
            case Header():
                if frame.revision != migrate.head_revision() or set(frame.tables) != set(tables):
                    raise UnknownRevisionError
            case TableStart():
                target = tables[frame.name]
                current = (target, frame.columns, _converters(target, frame.columns))
            case Rows():
                if current is None:
                    raise BackupFormatError
                await session.execute(insert(current[0]), _records(current[1], current[2], frame))
            case Manifest():
                return frame
    raise BackupFormatError  # pragma: no cover - read_frames ends with the manifest or raises


async def _reset_sequences(connection: AsyncConnection) -> None:
    """PostgreSQL: each serial or identity column's sequence continues after the restored ids
    (SQLite takes the next rowid from the table itself)."""
    if connection.dialect.name != "postgresql":
        return
    for target in backup_tables():
        keys = list(target.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        sequence = await connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": target.name, "column": keys[0].name},
        )
        if sequence is None:
            continue
        highest = await connection.scalar(select(func.max(keys[0])))
        await connection.execute(
            text("SELECT setval(:sequence, :value, :called)"),
            {"sequence": sequence, "value": highest or 1, "called": highest is not None},
        )


async def _counts(session: AsyncSession) -> dict[str, int]:
    return {
        t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0) for t in backup_tables()
    }


async def restore(
    database: Database,
    file: BinaryIO,
    *,
    anchor: tuple[int, bytes] | None = None,
    accept_broken_chain: bool = False,
) -> Restored:
    """Restore the backup in ``file`` into the (migrated, empty) database, all or nothing. A
    backup whose audit chain is broken is refused unless ``accept_broken_chain``; with
    ``anchor`` the restored chain must hold that entry with that hash."""
    async with database.write_session() as session:
        connection = await session.connection()
        if not await is_empty(connection):
            raise TargetNotEmptyError
        manifest = await _insert_all(session, file)
        counts = await _counts(session)
        chain = await verify_stored_chain(session)
        expected = {name: summary.rows for name, summary in manifest.tables.items()}
        head = manifest.audit_head
        if counts != expected or chain.checked != head.seq or chain.head_hash.hex() != head.hash:
            raise RestoreMismatchError
        if chain.ok != head.intact:
            raise RestoreMismatchError
        if not chain.ok and not accept_broken_chain:
            raise AuditChainBrokenError(chain.first_bad_seq)
        if anchor is not None and (
            chain.checked < anchor[0] or await stored_hash_at(session, anchor[0]) != anchor[1]
        ):
            raise AnchorMismatchError
        # A restored session would let whoever held its cookie in again, on a system that may
        # be another one now: every officer signs in afresh.
        await session.execute(delete(OfficerSession))
        await _reset_sequences(connection)  # last: setval is not rolled back
        await session.commit()
    return Restored(
        tables=counts,
        audit_entries=chain.checked,
        audit_head=f"{chain.checked}:{head.hash}",
        sessions_ended=counts[OfficerSession.__tablename__],
        first_bad_seq=chain.first_bad_seq,
    )
