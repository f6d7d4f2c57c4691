"""Per-user preferences: pause switch, thresholds, daily cap, digest time and review requirement."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from pydantic import BaseModel, Field, field_validator

EDITABLE = ("auto_apply_threshold", "skip_threshold", "daily_cap", "digest_time", "time_zone", "review_required")
_COLUMNS = "paused, " + ", ".join(EDITABLE)


class UserSettings(BaseModel):
    paused: bool = False
    auto_apply_threshold: int | None = Field(default=None, ge=0, le=100)  # None: never apply on its own
    skip_threshold: int = Field(default=40, ge=0, le=100)
    daily_cap: int = Field(default=20, ge=1, le=500)
    digest_time: time = time(9, 0)
    time_zone: str = "UTC"
    review_required: bool = True

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Berlin or UTC") from None
        return value


class UserSettingsRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, user_id: int) -> UserSettings:
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM user_settings WHERE user_id = $1", user_id)
        return UserSettings(**dict(row)) if row else UserSettings()

    async def update(self, user_id: int, changes: UserSettings) -> UserSettings:
        """Store every editable value of `changes` (validated by the model) for the user."""
        values = [getattr(changes, name) for name in EDITABLE]
        placeholders = ", ".join(f"${i}" for i in range(2, len(EDITABLE) + 2))
        assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in EDITABLE)
        row = await self._pool.fetchrow(
            f"""INSERT INTO user_settings (user_id, {", ".join(EDITABLE)}) VALUES ($1, {placeholders})
                ON CONFLICT (user_id) DO UPDATE SET {assignments}, updated_at = now()
                RETURNING {_COLUMNS}""",
            user_id,
            *values,
        )
        return UserSettings(**dict(row))

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

    async def digest_candidates(self) -> list[tuple[int, UserSettings, date | None]]:
        """Every active user with their settings and the local date of their last digest."""
        rows = await self._pool.fetch(
            f"""SELECT u.id, {", ".join("s." + c for c in _COLUMNS.split(", "))}, s.last_digest_on
                FROM users u LEFT JOIN user_settings s ON s.user_id = u.id
                WHERE u.active"""
        )
        result = []
        for row in rows:
            values = {k: v for k, v in dict(row).items() if k not in ("id", "last_digest_on") and v is not None}
            result.append((row["id"], UserSettings(**values), row["last_digest_on"]))
        return result

    async def mark_digest_sent(self, user_id: int, local_day: date) -> bool:
        """Claim today's digest; False if it was already sent (another process got there first)."""
        claimed = await self._pool.fetchval(
            """INSERT INTO user_settings (user_id, last_digest_on) VALUES ($1, $2)
               ON CONFLICT (user_id) DO UPDATE SET last_digest_on = EXCLUDED.last_digest_on
                 WHERE user_settings.last_digest_on IS DISTINCT FROM EXCLUDED.last_digest_on
               RETURNING true""",
            user_id,
            local_day,
        )
        return bool(claimed)
