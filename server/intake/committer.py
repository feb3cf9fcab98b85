"""Group commit: submissions that arrive together are stored in one transaction.

One durable commit (one fsync on SQLite) then acknowledges many reports, and reports that
arrive within the same moment are written together rather than one by one in their order
of arrival. Every caller still gets its receipt only after the commit that stored its
report. A batch that fails as a whole (a repeated id, a verifier in use) is stored again one
submission at a time, so one bad submission never fails another; submissions with
attachments take the one-at-a-time path directly (their uploads are checked under lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from server.db.lifecycle import Database
from server.db.models import Report
from server.errors import ServiceUnavailableError
from server.intake.schemas import Receipt
from server.intake.service import Planned, add_planned, receipt_of, store_submission
from server.intake.trust import Trusted

_Item = tuple[Trusted, Planned, "asyncio.Future[tuple[Receipt, bool]]"]


class GroupCommitter:
    """One writer task per process that drains a queue of planned submissions."""

    def __init__(self, database: Database, max_batch: int = 64) -> None:
        self.database = database
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Item] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._stopping = False

    async def store(self, trusted: Trusted, planned: Planned) -> tuple[Receipt, bool]:
        """Store ``planned`` (after every earlier submission in the queue); returns once the
        transaction holding it has committed."""
        if self._stopping:
            raise ServiceUnavailableError  # shutting down: the client retries elsewhere or later
        if planned.attachments:
            async with self.database.write_session() as session:
                return await store_submission(session, trusted, planned)
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(self._queue))
        future: asyncio.Future[tuple[Receipt, bool]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((trusted, planned, future))
        # Shielded: a client that goes away must not cancel the commit of others' reports.
        return await asyncio.shield(future)

    async def stop(self, grace: float = 5.0) -> None:
        """Take no more; let the queue drain for up to ``grace`` seconds; then answer every
        submission still waiting with 503 (none of them was acknowledged)."""
        self._stopping = True
        if self._worker is None or self._queue is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), grace)
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        while not self._queue.empty():
            _, _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(ServiceUnavailableError())

    async def _run(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._store_batch(batch)
            except BaseException as error:
                # Handed to every caller still waiting (cancelled at shutdown: a 503), so no
                # request hangs; a cancellation still ends this task.
                failure = ServiceUnavailableError() if isinstance(error, asyncio.CancelledError) else error
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(failure)
                if not isinstance(error, Exception):
                    raise
            finally:
                for _ in batch:
                    queue.task_done()

    async def _store_batch(self, batch: list[_Item]) -> None:
        fresh, others = await self._split(batch)
        if len(fresh) > 1:
            try:
                # In report-id order: random ids, so storage order is not arrival order, and
                # every process locks rows in the same order (no deadlock between batches).
                ordered = sorted((planned for _, planned, _ in fresh), key=lambda planned: planned.report_id)
                async with self.database.write_session() as session:
                    await add_planned(session, ordered)
                    await session.commit()
            except DBAPIError:
                others = fresh + others  # a conflict, a deadlock, the database away: one at a time
            else:
                for _, planned, future in fresh:
                    if not future.done():
                        future.set_result((receipt_of(planned), True))
        else:
            others = fresh + others
        for trusted, planned, future in others:
            if future.done():
                continue
            try:
                async with self.database.write_session() as session:
                    future.set_result(await store_submission(session, trusted, planned))
            except Exception as error:  # noqa: BLE001 (this caller's own failure)
                future.set_exception(error)

    async def _split(self, batch: list[_Item]) -> tuple[list[_Item], list[_Item]]:
        """Items that can go into one insert, and repeats (a stored id or lookup verifier, or
        one met earlier in the batch) that take the one-at-a-time path to their answer; so a
        flood of retries does not break every batch it lands in."""
        if len(batch) < 2:
            return batch, []
        ids = [planned.report_id for _, planned, _ in batch]
        verifiers = [v for _, planned, _ in batch if (v := planned.report.get("lookup_verifier")) is not None]
        async with self.database.sessions() as session:
            stored_ids = set(await session.scalars(select(Report.id).where(Report.id.in_(ids))))
            stored_verifiers = set(
                await session.scalars(
                    select(Report.lookup_verifier).where(Report.lookup_verifier.in_(verifiers))
                )
            )
        seen_ids: set[uuid.UUID] = set()
        seen_verifiers: set[bytes] = set()
        fresh: list[_Item] = []
        others: list[_Item] = []
        for item in batch:
            planned = item[1]
            verifier = planned.report.get("lookup_verifier")
            repeat = planned.report_id in stored_ids | seen_ids or (
                verifier is not None and verifier in stored_verifiers | seen_verifiers
            )
            (others if repeat else fresh).append(item)
            seen_ids.add(planned.report_id)
            if verifier is not None:
                seen_verifiers.add(verifier)
        return fresh, others
