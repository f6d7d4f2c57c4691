"""Rows for digest tests and the digest bench: users with settings, applications with their trail, prompts.

Written straight to PostgreSQL (the digest reads the database, so how the rows came to be does
not matter to it), in the shapes the repositories write.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import asyncpg

from automation.prompts import question_payload
from automation.questions import Question, QuestionKind

# The status an application comes from when it reaches each of these (for the event trail).
_CAME_FROM = {"submitted": "running", "failed": "running", "timed_out": "waiting_user", "skipped": "awaiting_approval"}


async def add_user(
    db: asyncpg.Connection | asyncpg.Pool,
    user_id: int,
    *,
    time_zone: str = "UTC",
    at: time = time(9, 0),
    quiet: str = "line",
    auto_apply: int | None = None,
) -> None:
    await db.execute(
        "INSERT INTO users (id, chat_id, first_name) VALUES ($1, $1, 'Ada') ON CONFLICT DO NOTHING", user_id
    )
    await db.execute(
        """INSERT INTO user_settings (user_id, digest_time, time_zone, quiet_digest, auto_apply_threshold)
           VALUES ($1, $2, $3, $4, $5)""",
        user_id,
        at,
        time_zone,
        quiet,
        auto_apply,
    )


async def add_application(
    db: asyncpg.Connection | asyncpg.Pool,
    user_id: int,
    number: int,
    status: str,
    *,
    title: str | None = None,
    score: float | None = None,
    error: str | None = None,
    at: datetime | None = None,
) -> int:
    """An application now in `status`; `at` dates its last move (and the event that made it)."""
    url = f"https://jobs.example.org/{user_id}/{number}"
    job_id = await db.fetchval(
        "INSERT INTO jobs (canonical_url, url, host, title) VALUES ($1, $1, 'jobs.example.org', $2) RETURNING id",
        url,
        title or f"Job {number}",
    )
    app_id = await db.fetchval(
        """INSERT INTO applications (user_id, job_id, status, score, error, updated_at,
                                     submitted_at)
           VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), CASE WHEN $3 = 'submitted' THEN $6 END) RETURNING id""",
        user_id,
        job_id,
        status,
        score,
        error,
        at,
    )
    if status in _CAME_FROM and at is not None:
        await db.execute(
            """INSERT INTO application_events (application_id, from_status, to_status, created_at)
               VALUES ($1, $2, $3, $4)""",
            app_id,
            _CAME_FROM[status],
            status,
            at,
        )
    return app_id


async def add_prompt(
    db: asyncpg.Connection | asyncpg.Pool,
    user_id: int,
    application_id: int,
    kind: str,
    *,
    html: str,
    expires_in: timedelta = timedelta(days=1),
    options: tuple[str, ...] = ("Yes", "No"),
) -> int:
    payload = {}
    if kind == "question":
        payload = question_payload(
            application_id, Question("q1", "Do you need a visa?", QuestionKind.RADIO, options, required=True)
        )
    return await db.fetchval(
        """INSERT INTO prompts (application_id, user_id, kind, payload, expires_at, message_html, chat_id, message_id)
           VALUES ($1, $2, $3, $4, now() + $5, $6, $2, 999999) RETURNING id""",
        application_id,
        user_id,
        kind,
        payload,
        expires_in,
        html,
    )


async def add_spending(db: asyncpg.Connection | asyncpg.Pool, user_id: int, tokens: int, at: datetime) -> None:
    await db.execute(
        "INSERT INTO spending (user_id, llm_calls, llm_tokens, created_at) VALUES ($1, 1, $2, $3)", user_id, tokens, at
    )
