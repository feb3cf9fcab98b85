"""The console's per-process state: settings, the database, the clock, and the signed-in
request: a write session with the account checked, the anti-forgery token checked for
changes, and every refusal appended to the audit chain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit import append_audit
from server.console import accounts, credentials
from server.db.engine import WRITE_OPTIONS
from server.db.lifecycle import Database
from server.db.models import Officer
from server.errors import SedaError
from server.intake.abuse import shared_secret
from server.settings import Settings

COOKIE = "seda_console"
CSRF_HEADER = "x-csrf-token"


class Console:
    def __init__(self, settings: Settings, database: Database, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.lifetime = timedelta(hours=settings.session_hours)
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self._salt_secret: bytes | None = None

    async def salt_secret(self, session: AsyncSession) -> bytes:
        if self._salt_secret is None:
            self._salt_secret = await shared_secret(session, accounts.SALT_SECRET)
        return self._salt_secret

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write session for a request without an account (enrolment, sign-in): committed
        when the request's work is done, failed attempts included (the caller commits those)."""
        async with self.database.write_session() as session:
            yield session
            await session.commit()

    @asynccontextmanager
    async def signed_in(
        self, request: Request[Any, Any, Any], *, changes: bool = False
    ) -> AsyncIterator[tuple[AsyncSession, Officer]]:
        """The request's account in a write session (committed at the end). A change needs the
        session's anti-forgery token and the server's own origin. A refusal after sign-in is
        audited (what was refused, never what was sent) and the request's work rolled back."""
        now = self.clock()
        async with self.database.write_session() as session:
            officer, current = await accounts.signed_in(session, request.cookies.get(COOKIE), now, self.idle)
            who = accounts.actor(officer)  # a rollback expires the row; keep what the audit needs
            try:
                if changes:
                    _check_forgery(request, current.csrf_hash)
                yield session, officer
            except SedaError as error:
                await session.rollback()
                await session.connection(execution_options=WRITE_OPTIONS)  # a writer again
                await append_audit(
                    session,
                    at=now,
                    actor=who,
                    action="request.refused",
                    subject=f"route:{request.scope.get('path_template', '?')}"[:120],
                    details={"method": request.method, "code": error.code},
                )
                await session.commit()
                raise
            await session.commit()


def _check_forgery(request: Request[Any, Any, Any], csrf_hash: bytes) -> None:
    token = request.headers.get(CSRF_HEADER, "")
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if not token or not credentials.same_hash(credentials.csrf_hash(token), csrf_hash):
        raise accounts.ForbiddenError
    if origin is not None and origin != own:
        raise accounts.ForbiddenError
