"""Prompts: the rows a worker writes when it needs a human, and their guarded answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from storage.models import Prompt, PromptKind, PromptMessage, PromptStatus
from storage.resilience import ResilientPool

_COLUMNS = """id, application_id, user_id, kind, status, payload, answer, chat_id, message_id,
              message_html, expires_at, created_at, answered_at, parked_at"""


def _prompt(row: asyncpg.Record) -> Prompt:
    return Prompt(**dict(row))


class PromptRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def create(
        self,
        application_id: int,
        user_id: int,
        kind: PromptKind,
        payload: dict[str, Any],
        expires_at: datetime,
    ) -> Prompt:
        row = await self._pool.fetchrow(
            f"""INSERT INTO prompts (application_id, user_id, kind, payload, expires_at)
                VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}""",
            application_id,
            user_id,
            kind.value,
            payload,
            expires_at,
        )
        return _prompt(row)

    async def set_message(self, prompt_id: int, message: PromptMessage) -> None:
        await self._pool.execute(
            "UPDATE prompts SET chat_id = $2, message_id = $3, message_html = $4 WHERE id = $1",
            prompt_id,
            message.chat_id,
            message.message_id,
            message.html,
            replay=True,
        )

    async def get(self, prompt_id: int) -> Prompt | None:
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM prompts WHERE id = $1", prompt_id)
        return _prompt(row) if row else None

    async def answer(
        self, prompt_id: int, user_id: int, answer: dict[str, Any], *, kind: PromptKind | None = None
    ) -> Prompt | None:
        """Record the user's answer if the prompt (of `kind`, when given) is still open; None if too late,
        not theirs or of another kind."""
        row = await self._pool.fetchrow(
            f"""UPDATE prompts SET status = 'answered', answer = $3, answered_at = now()
                WHERE id = $1 AND user_id = $2 AND status = 'pending' AND expires_at > now()
                  AND ($4::text IS NULL OR kind = $4)
                RETURNING {_COLUMNS}""",
            prompt_id,
            user_id,
            answer,
            kind.value if kind else None,
        )
        return _prompt(row) if row else None

    async def close(self, prompt_id: int, status: PromptStatus) -> Prompt | None:
        """Expire or cancel a pending prompt; None if it was already answered or closed."""
        row = await self._pool.fetchrow(
            f"""UPDATE prompts SET status = $2 WHERE id = $1 AND status = 'pending'
                RETURNING {_COLUMNS}""",
            prompt_id,
            status.value,
            replay=True,  # a repeat after it took effect finds it closed: the caller reads the row again
        )
        return _prompt(row) if row else None

    async def park(self, prompt_id: int) -> Prompt | None:
        """Let go of a pending prompt: from now on its answer is carried out by a resume job, not by a
        worker waiting in-process. None when it was answered, closed or parked meanwhile."""
        row = await self._pool.fetchrow(
            f"""UPDATE prompts SET parked_at = now()
                WHERE id = $1 AND status = 'pending' AND parked_at IS NULL RETURNING {_COLUMNS}""",
            prompt_id,
        )
        return _prompt(row) if row else None

    async def take_over(self, prompt_id: int) -> Prompt | None:
        """Park a prompt whose worker is gone, pending or already answered (the answer is then carried
        out by a resume job); None when it was parked already or is closed."""
        row = await self._pool.fetchrow(
            f"""UPDATE prompts SET parked_at = now()
                WHERE id = $1 AND status IN ('pending', 'answered') AND parked_at IS NULL RETURNING {_COLUMNS}""",
            prompt_id,
        )
        return _prompt(row) if row else None

    async def latest_for_application(self, application_id: int) -> Prompt | None:
        """The application's most recent prompt, whatever its status."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM prompts WHERE application_id = $1 ORDER BY id DESC LIMIT 1",
            application_id,
        )
        return _prompt(row) if row else None

    async def for_message(self, chat_id: int, message_id: int, user_id: int) -> Prompt | None:
        """The prompt shown in this chat message, whatever its status.

        A reply can beat the worker to recording which message showed the prompt; then the user's one
        pending prompt whose message is not recorded yet is the one meant.
        """
        row = await self._pool.fetchrow(
            f"""SELECT {_COLUMNS} FROM prompts
                WHERE (chat_id = $1 AND message_id = $2)
                   OR (user_id = $3 AND status = 'pending' AND message_id IS NULL
                       AND (SELECT count(*) FROM prompts p
                            WHERE p.user_id = $3 AND p.status = 'pending' AND p.message_id IS NULL) = 1)
                ORDER BY message_id IS NULL, id DESC LIMIT 1""",
            chat_id,
            message_id,
            user_id,
        )
        return _prompt(row) if row else None

    async def pending(self) -> list[Prompt]:
        rows = await self._pool.fetch(f"SELECT {_COLUMNS} FROM prompts WHERE status = 'pending' ORDER BY expires_at")
        return [_prompt(r) for r in rows]

    async def pending_for_application(self, application_id: int) -> Prompt | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM prompts WHERE application_id = $1 AND status = 'pending'",
            application_id,
        )
        return _prompt(row) if row else None
