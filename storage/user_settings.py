"""Per-user preferences: pause switch, thresholds, daily cap, digest time."""

from __future__ import annotations

from datetime import time

import asyncpg
from pydantic import BaseModel, Field

_COLUMNS = "paused, auto_apply_threshold, skip_threshold, daily_cap, digest_time, time_zone, review_required"


class UserSettings(BaseModel):
    paused: bool = False
    auto_apply_threshold: int | None = Field(default=None, ge=0, le=100)
    skip_threshold: int = Field(default=40, ge=0, le=100)
    daily_cap: int = Field(default=20, ge=1, le=500)
    digest_time: time = time(9, 0)
    time_zone: str = "UTC"
    review_required: bool = True


class UserSettingsRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, user_id: int) -> UserSettings:
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM user_settings WHERE user_id = $1", user_id)
        return UserSettings(**dict(row)) if row else UserSettings()

    async def set_paused(self, user_id: int, paused: bool) -> bool:
        """Set the pause switch; returns whether it was already in that position."""
        previous = await self._pool.fetchval(
            """WITH prev AS (SELECT paused FROM user_settings WHERE user_id = $1)
               INSERT INTO user_settings (user_id, paused) VALUES ($1, $2)
               ON CONFLICT (user_id) DO UPDATE SET paused = EXCLUDED.paused, updated_at = now()
               RETURNING (SELECT paused FROM prev)""",
            user_id,
            paused,
        )
        return bool(previous) == paused
