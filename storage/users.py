"""Telegram users the bot serves."""

from __future__ import annotations

from dataclasses import dataclass

from storage.resilience import ResilientPool


@dataclass(frozen=True)
class User:
    id: int
    chat_id: int
    first_name: str | None
    username: str | None
    active: bool


class UserRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def upsert(self, user_id: int, chat_id: int, first_name: str | None, username: str | None) -> User:
        row = await self._pool.fetchrow(
            """INSERT INTO users (id, chat_id, first_name, username)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (id) DO UPDATE
                 SET chat_id = EXCLUDED.chat_id, first_name = EXCLUDED.first_name,
                     username = EXCLUDED.username, active = true, updated_at = now()
               RETURNING id, chat_id, first_name, username, active""",
            user_id,
            chat_id,
            first_name,
            username,
        )
        return User(**dict(row))

    async def get(self, user_id: int) -> User | None:
        row = await self._pool.fetchrow(
            "SELECT id, chat_id, first_name, username, active FROM users WHERE id = $1", user_id
        )
        return User(**dict(row)) if row else None

    async def reactivate(self, user_id: int) -> bool:
        """A user the sender marked inactive (they had blocked the bot) is back: True if they were inactive."""
        row = await self._pool.fetchval(
            "UPDATE users SET active = true, updated_at = now() WHERE id = $1 AND NOT active RETURNING id", user_id
        )
        return row is not None

    async def set_active(self, user_id: int, active: bool) -> None:
        await self._pool.execute("UPDATE users SET active = $2, updated_at = now() WHERE id = $1", user_id, active)
