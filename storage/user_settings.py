"""Per-user preferences: pause switch, thresholds, daily cap, digest time and review requirement."""

from __future__ import annotations

import enum
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from storage.resilience import ResilientPool

EDITABLE = (
    "auto_apply_threshold",
    "skip_threshold",
    "daily_cap",
    "digest_time",
    "time_zone",
    "review_required",
    "quiet_digest",
)
_COLUMNS = "paused, " + ", ".join(EDITABLE)


class QuietDigest(str, enum.Enum):
    """What the digest of a day with nothing new and nothing waiting is."""

    LINE = "line"  # one short line
    NONE = "none"  # no message at all


class UserSettings(BaseModel):
    paused: bool = False
    auto_apply_threshold: int | None = Field(default=None, ge=0, le=100)  # None: never apply on its own
    skip_threshold: int = Field(default=40, ge=0, le=100)
    daily_cap: int = Field(default=20, ge=1, le=500)
    digest_time: time = time(9, 0)
    time_zone: str = "UTC"
    review_required: bool = True
    quiet_digest: QuietDigest = QuietDigest.LINE

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Berlin or UTC") from None
        return value


class UserSettingsRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def get(self, user_id: int) -> UserSettings:
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM user_settings WHERE user_id = $1", user_id)
        return UserSettings(**dict(row)) if row else UserSettings()

    async def update(self, user_id: int, changes: UserSettings) -> UserSettings:
        """Store every editable value of `changes` (validated by the model) for the user."""
        values = [getattr(changes, name) for name in EDITABLE]
        values = [v.value if isinstance(v, enum.Enum) else v for v in values]
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
