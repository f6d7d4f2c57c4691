"""Browser sessions: a worker's browser on an application, its heartbeat, and the applications whose
worker stopped beating."""

from __future__ import annotations

from typing import cast

from storage.applications import APPLICATION_COLUMNS, application_from_row
from storage.models import Application
from storage.resilience import ResilientPool


class BrowserSessionRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def open(self, application_id: int, worker: str) -> int:
        """A worker opened a browser for the application; returns the session's id."""
        return cast(
            int,
            await self._pool.fetchval(
                "INSERT INTO browser_sessions (application_id, worker) VALUES ($1, $2) RETURNING id",
                application_id,
                worker,
            ),
        )

    async def heartbeat(self, session_id: int) -> None:
        await self._pool.execute(
            "UPDATE browser_sessions SET heartbeat_at = now() WHERE id = $1", session_id, replay=True
        )

    async def stale_running(self, older_than_seconds: float) -> list[Application]:
        """Running or waiting applications whose browser session stopped beating (its worker died)."""
        rows = await self._pool.fetch(
            f"""SELECT {APPLICATION_COLUMNS} FROM applications a JOIN jobs j ON j.id = a.job_id
                WHERE a.status IN ('running', 'waiting_user')
                  AND NOT EXISTS (
                      SELECT 1 FROM browser_sessions s
                      WHERE s.application_id = a.id AND s.ended_at IS NULL
                        AND s.heartbeat_at > now() - make_interval(secs => $1))
                  AND a.updated_at < now() - make_interval(secs => $1)""",
            older_than_seconds,
        )
        return [application_from_row(r) for r in rows]

    async def close(self, session_id: int, reason: str) -> None:
        await self._pool.execute(
            "UPDATE browser_sessions SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL",
            session_id,
            reason,
            replay=True,
        )
