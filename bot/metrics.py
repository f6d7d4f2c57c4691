"""The bot's own Prometheus instruments: updates handled (an outer middleware that also puts the
user's id on every log line of the update), and the gauges read from PostgreSQL and Redis when
Prometheus scrapes (applications by status, prompts waiting, the queue's depth)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio import Redis

from storage.models import ApplicationStatus

UPDATES = Counter("nyx_updates_total", "Telegram updates handled, by type and outcome (ok, error)", ["type", "outcome"])
UPDATE_SECONDS = Histogram("nyx_update_seconds", "Time to handle one update", ["type"])
APPLICATIONS = Gauge("nyx_applications", "Applications by status (read from PostgreSQL at scrape time)", ["status"])
PROMPTS_PENDING = Gauge("nyx_prompts_pending", "Prompts waiting for the user (PostgreSQL, at scrape time)")
QUEUE_DEPTH = Gauge("nyx_queue_depth", "Apply jobs waiting in the arq queue (Redis, at scrape time)")


class UpdateObserver(BaseMiddleware):
    """Counts and times each update, and binds `user_id` for the log lines written while it is handled."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        user = data.get("event_from_user")
        started = time.monotonic()
        outcome = "error"
        with structlog.contextvars.bound_contextvars(user_id=user.id if user else None, update_type=kind):
            try:
                result = await handler(event, data)
                outcome = "ok"
                return result
            finally:
                UPDATES.labels(kind, outcome).inc()
                UPDATE_SECONDS.labels(kind).observe(time.monotonic() - started)


async def refresh_state_gauges(pool: asyncpg.Pool, redis: Redis, queue_name: str) -> None:
    """Read the shared state the gauges show; called right before each scrape is answered."""
    rows = await pool.fetch("SELECT status, count(*) AS n FROM applications GROUP BY status")
    counts = {r["status"]: r["n"] for r in rows}
    for status in ApplicationStatus:
        APPLICATIONS.labels(status.value).set(counts.get(status.value, 0))
    PROMPTS_PENDING.set(await pool.fetchval("SELECT count(*) FROM prompts WHERE status = 'pending'"))
    QUEUE_DEPTH.set(await redis.zcard(queue_name))  # arq keeps its queue as a sorted set by that name
