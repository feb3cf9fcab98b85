"""Resumable upload of sealed attachment streams (docs/PROTOCOL.md §3.4).

An upload is announced with its chunk count and stream digest, filled chunk by chunk in any
order (a chunk sent again with the same bytes is accepted, with other bytes refused), and
taken by the submission that lists it. Until then it belongs to no report; uploads never
taken are purged after six hours (``purge_abandoned``).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Upload, UploadChunk
from server.db.types import round_down_to_hour
from server.errors import ServiceUnavailableError
from server.intake.schemas import MAX_CHUNK_BYTES, UploadStart, UploadState
from server.intake.service import ConflictError, NotFoundError, UploadIncompleteError

ABANDONED_AFTER = timedelta(hours=6)


async def state(session: AsyncSession, upload: Upload) -> UploadState:
    positions = await session.scalars(
        select(UploadChunk.position).where(UploadChunk.upload_id == upload.id).order_by(UploadChunk.position)
    )
    return UploadState(str(upload.id), upload.chunks, list(positions), upload.report_id is not None)


async def start(session: AsyncSession, request: UploadStart, now: datetime) -> tuple[UploadState, bool]:
    """Announce an upload (commits); the same announcement again returns its state.
    Returns the state and whether it was new."""
    upload_id = uuid.UUID(request.attachment_id)
    upload = await session.get(Upload, upload_id)
    digests = b"".join(request.chunk_sha256)
    if len(request.chunk_sha256) != request.chunks:
        raise UploadIncompleteError
    if upload is not None:
        if (
            upload.chunks != request.chunks
            or upload.sha256 != request.sha256
            or upload.chunk_digests != digests
        ):
            raise ConflictError
        return await state(session, upload), False
    upload = Upload(
        id=upload_id,
        chunks=request.chunks,
        sha256=request.sha256,
        chunk_digests=digests,
        created_hour=round_down_to_hour(now),
    )
    session.add(upload)
    await session.commit()
    return UploadState(str(upload_id), upload.chunks, [], False), True


async def put_chunk(
    session: AsyncSession, upload_id: uuid.UUID, position: int, data: bytes, pending_limit: int
) -> None:
    """Store one chunk (commits). ``NotFoundError`` for an unknown upload or position,
    ``ConflictError`` for bytes other than those announced for the position, or a new
    chunk for an upload a report already took. ``ServiceUnavailableError`` while the chunks
    of uploads no report has taken yet hold ``pending_limit`` bytes: what counts is what was
    stored, so announcing without sending fills nothing."""
    upload = await session.get(Upload, upload_id)
    if upload is None or not 0 <= position < upload.chunks or not 0 < len(data) <= MAX_CHUNK_BYTES:
        raise NotFoundError
    if hashlib.sha256(data).digest() != upload.chunk_digests[32 * position : 32 * position + 32]:
        raise ConflictError  # not the chunk announced for this position
    stored = await session.get(UploadChunk, (upload_id, position))
    if stored is not None:
        return  # the same bytes again (a retry)
    if upload.report_id is not None:
        raise ConflictError
    pending = await session.scalar(
        select(func.coalesce(func.sum(func.length(UploadChunk.data)), 0))
        .join(Upload, Upload.id == UploadChunk.upload_id)
        .where(Upload.report_id.is_(None))
    )
    if int(pending or 0) + len(data) > pending_limit:
        raise ServiceUnavailableError
    session.add(UploadChunk(upload_id=upload_id, position=position, data=data))
    await session.commit()


async def purge_abandoned(session: AsyncSession, now: datetime) -> int:
    """Delete uploads no report took within ``ABANDONED_AFTER`` (commits); returns how many."""
    cutoff = now - ABANDONED_AFTER
    result = await session.execute(
        delete(Upload).where(Upload.report_id.is_(None), Upload.created_hour < cutoff)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
