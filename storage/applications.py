"""Jobs and applications: intake, guarded status transitions with their event trail, and what is
recorded about each application (score, form fields, progress, outcome, LLM spend, counts).

An application's browser sessions are in `storage.browser_sessions`, its files in `storage.files`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

import asyncpg

from storage.errors import NyxError
from storage.models import TRANSITIONS, Application, ApplicationStatus
from storage.resilience import OutcomeUnknown, ResilientPool

APPLICATION_COLUMNS = """a.id, a.user_id, a.job_id, j.url, j.canonical_url, a.status, j.title, j.company, j.location,
                  a.score, a.score_reasons,
                  a.card_chat_id, a.card_message_id, a.error, a.outcome, a.submit_started_at,
                  a.submitted_at, a.created_at, a.updated_at"""


class IllegalTransition(NyxError, ValueError):
    """Asked for a move the state machine does not allow (a programming error)."""


@dataclass(frozen=True)
class Intake:
    application: Application
    created: bool


@dataclass(frozen=True)
class Event:
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class LLMSpend:
    """LLM calls, tokens and their cost, as recorded in `spending` (cost None: no price was known)."""

    calls: int = 0
    tokens: int = 0
    cost_usd: Decimal | None = None
    unpriced_calls: int = 0  # calls whose model had no price (their cost is not in cost_usd)


_SPEND_COLUMNS = """coalesce(sum(llm_calls), 0) AS calls, coalesce(sum(llm_tokens), 0) AS tokens,
                    sum(money_usd) AS cost_usd,
                    coalesce(sum(llm_calls) FILTER (WHERE money_usd IS NULL), 0) AS unpriced_calls"""


@dataclass(frozen=True)
class FieldRecord:
    label: str
    selector: str
    intended: str | None
    actual: str | None
    required: bool = False


def application_from_row(row: asyncpg.Record) -> Application:
    """An `Application` from a row selected with `APPLICATION_COLUMNS`."""
    return Application(**dict(row))


_TRANSITION = f"""WITH prev AS (
        SELECT id, status FROM applications
        WHERE id = $1 AND status = ANY($2::text[]) AND ($5::bigint IS NULL OR user_id = $5)
          AND ($7::float8 IS NULL OR NOT EXISTS (
              SELECT 1 FROM browser_sessions s
              WHERE s.application_id = applications.id AND s.ended_at IS NULL
                AND s.heartbeat_at > now() - make_interval(secs => $7)))
          AND (NOT $8::boolean OR submit_started_at IS NULL)
        FOR UPDATE),
    moved AS (
        UPDATE applications a
        SET status = $3, updated_at = now(), error = COALESCE($6, a.error),
            submitted_at = CASE WHEN $3 = 'submitted' THEN now() ELSE a.submitted_at END
        FROM prev WHERE a.id = prev.id
        RETURNING a.*, prev.status AS from_status),
    event AS (
        INSERT INTO application_events (application_id, from_status, to_status, note)
        SELECT id, from_status, status, $4 FROM moved)
    SELECT {APPLICATION_COLUMNS} FROM moved a JOIN jobs j ON j.id = a.job_id"""


class ApplicationRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    async def intake(self, user_id: int, *, url: str, canonical_url: str, host: str) -> Intake:
        """One application per (user, canonical job URL): returns the existing one if seen before."""
        async with self._pool.acquire() as conn, conn.transaction():
            job_id = await conn.fetchval(
                """INSERT INTO jobs (canonical_url, url, host) VALUES ($1, $2, $3)
                   ON CONFLICT (canonical_url) DO UPDATE SET canonical_url = EXCLUDED.canonical_url
                   RETURNING id""",
                canonical_url,
                url,
                host,
            )
            app_id = await conn.fetchval(
                """INSERT INTO applications (user_id, job_id) VALUES ($1, $2)
                   ON CONFLICT (user_id, job_id) DO NOTHING RETURNING id""",
                user_id,
                job_id,
            )
            created = app_id is not None
            if created:
                await conn.execute(
                    "INSERT INTO application_events (application_id, to_status, note) VALUES ($1, $2, $3)",
                    app_id,
                    ApplicationStatus.RECEIVED.value,
                    f"link received: {url}",
                )
            row = await conn.fetchrow(
                f"""SELECT {APPLICATION_COLUMNS} FROM applications a JOIN jobs j ON j.id = a.job_id
                    WHERE a.user_id = $1 AND a.job_id = $2""",
                user_id,
                job_id,
            )
        return Intake(application_from_row(row), created)

    async def transition(
        self,
        application_id: int,
        to_status: ApplicationStatus,
        *,
        from_statuses: Iterable[ApplicationStatus],
        note: str | None = None,
        error: str | None = None,
        user_id: int | None = None,
        unless_beating_within: float | None = None,
        unclaimed: bool = False,
    ) -> Application | None:
        """Move the application if it is in one of `from_statuses`; None when the race was lost.

        One statement: the guarded UPDATE and the event row it appends. With `unless_beating_within`
        (seconds) the move is also refused while a browser session of the application has beaten
        that recently: its worker is alive. `unclaimed`: only while the submit is not claimed (a
        cancel must lose against a submit click already under way). If the connection dies under
        the statement, the row says whether it took effect: our event on top means it did.
        """
        sources = [s for s in from_statuses if to_status in TRANSITIONS[s]]
        if not sources:
            raise IllegalTransition(f"nothing may move to {to_status.value} from {list(from_statuses)}")
        args = (
            application_id,
            [s.value for s in sources],
            to_status.value,
            note,
            user_id,
            error,
            unless_beating_within,
            unclaimed,
        )
        try:
            row = await self._pool.fetchrow(_TRANSITION, *args)
        except OutcomeUnknown:
            if await self._moved_by_us(application_id, to_status, note):
                return await self.get(application_id)
            row = await self._pool.fetchrow(_TRANSITION, *args)
        return application_from_row(row) if row else None

    async def _moved_by_us(self, application_id: int, to_status: ApplicationStatus, note: str | None) -> bool:
        row = await self._pool.fetchrow(
            """SELECT e.to_status, e.note, a.status FROM applications a
               LEFT JOIN LATERAL (SELECT to_status, note FROM application_events
                                  WHERE application_id = a.id ORDER BY id DESC LIMIT 1) e ON true
               WHERE a.id = $1""",
            application_id,
        )
        return (
            bool(row)
            and row["status"] == to_status.value
            and row["to_status"] == to_status.value
            and row["note"] == note
        )

    async def note(self, application_id: int, note: str) -> None:
        """An event in the trail that changes no status (e.g. a CAPTCHA solved by the service)."""
        await self._pool.execute(
            """INSERT INTO application_events (application_id, from_status, to_status, note)
               SELECT id, status, status, $2 FROM applications WHERE id = $1""",
            application_id,
            note,
        )

    async def describe_job(
        self,
        job_id: int,
        *,
        title: str | None,
        company: str | None,
        location: str | None,
        description: str | None,
        ats: str | None,
    ) -> None:
        """Record what the posting page says; values already known are kept."""
        await self._pool.execute(
            """UPDATE jobs SET title = COALESCE(title, $2), company = COALESCE(company, $3),
                   location = COALESCE(location, $4), description = COALESCE(description, $5),
                   ats = COALESCE(ats, $6), fetched_at = now()
               WHERE id = $1""",
            job_id,
            title,
            company,
            location,
            description,
            ats,
        )

    async def record_score(self, application_id: int, score: int, details: dict[str, object]) -> Application | None:
        """received → scored, with the score and its reasons, in one guarded statement."""
        await self._pool.execute(
            "UPDATE applications SET score = $2, score_reasons = $3 WHERE id = $1 AND status = 'received'",
            application_id,
            score,
            details,
        )
        return await self.transition(
            application_id,
            ApplicationStatus.SCORED,
            from_statuses=[ApplicationStatus.RECEIVED],
            note=f"match {score}/100 ({details.get('source', '?')})",
        )

    async def attempts(self, application_id: int) -> int:
        """How many times the application has been queued (names its arq job)."""
        return cast(
            int,
            await self._pool.fetchval(
                "SELECT count(*) FROM application_events WHERE application_id = $1 AND to_status = 'queued'",
                application_id,
            ),
        )

    async def claim_submission(self, application_id: int) -> bool:
        """Mark the single submit attempt; False if one was already made."""
        claimed = await self._pool.fetchval(
            """UPDATE applications SET submit_started_at = now(), updated_at = now()
               WHERE id = $1 AND submit_started_at IS NULL AND status = 'running' RETURNING id""",
            application_id,
        )
        return claimed is not None

    async def release_submission(self, application_id: int) -> bool:
        """Undo the claim after the page refused the form (nothing was accepted), so it can be sent again."""
        released = await self._pool.fetchval(
            """UPDATE applications SET submit_started_at = NULL, updated_at = now()
               WHERE id = $1 AND submit_started_at IS NOT NULL AND status = 'running' RETURNING id""",
            application_id,
        )
        return released is not None

    async def progress(self, application_id: int) -> dict[str, Any] | None:
        """What the worker put into the form beyond the profile, for a refill (see automation.parking)."""
        progress = await self._pool.fetchval("SELECT progress FROM applications WHERE id = $1", application_id)
        return cast("dict[str, Any] | None", progress)

    async def save_progress(self, application_id: int, progress: dict[str, Any] | None) -> None:
        await self._pool.execute("UPDATE applications SET progress = $2 WHERE id = $1", application_id, progress)

    async def set_outcome(self, application_id: int, outcome: str) -> None:
        await self._pool.execute(
            "UPDATE applications SET outcome = $2, updated_at = now() WHERE id = $1",
            application_id,
            outcome,
            replay=True,
        )

    async def add_llm_usage(
        self,
        application_id: int,
        calls: int,
        tokens: int,
        *,
        cost_usd: Decimal | None = None,
        model: str | None = None,
    ) -> None:
        """Count LLM calls, tokens and their cost spent on the application (they add up over attempts)."""
        # The running totals on the application, and a dated row for /job, /stats and the digest.
        await self._pool.execute(
            """WITH counted AS (
                   UPDATE applications SET llm_calls = llm_calls + $2, llm_tokens = llm_tokens + $3
                   WHERE id = $1 RETURNING id, user_id)
               INSERT INTO spending (user_id, application_id, llm_calls, llm_tokens, money_usd, llm_model)
               SELECT user_id, id, $2, $3, $4, $5 FROM counted""",
            application_id,
            calls,
            tokens,
            cost_usd,
            model,
        )

    async def llm_spend(self, application_id: int) -> LLMSpend:
        """What the LLM cost for one application, over all its attempts."""
        row = await self._pool.fetchrow(
            f"SELECT {_SPEND_COLUMNS} FROM spending WHERE application_id = $1 AND llm_calls > 0", application_id
        )
        return LLMSpend(**dict(row))

    async def llm_spend_for_user(self, user_id: int, since: datetime | None = None) -> LLMSpend:
        """What the LLM cost the user since a moment (or ever)."""
        row = await self._pool.fetchrow(
            f"""SELECT {_SPEND_COLUMNS} FROM spending
                WHERE user_id = $1 AND llm_calls > 0 AND ($2::timestamptz IS NULL OR created_at >= $2)""",
            user_id,
            since,
        )
        return LLMSpend(**dict(row))

    async def job_description(self, application_id: int) -> str | None:
        """The posting's text, as read when the link arrived."""
        return cast(
            "str | None",
            await self._pool.fetchval(
                "SELECT j.description FROM applications a JOIN jobs j ON j.id = a.job_id WHERE a.id = $1",
                application_id,
            ),
        )

    async def set_card(self, application_id: int, chat_id: int, message_id: int, shows: ApplicationStatus) -> None:
        """The application's card is this message, showing status `shows`."""
        await self._pool.execute(
            "UPDATE applications SET card_chat_id = $2, card_message_id = $3, card_status = $4 WHERE id = $1",
            application_id,
            chat_id,
            message_id,
            shows.value,
        )

    async def set_card_status(self, application_id: int, status: ApplicationStatus) -> None:
        """The card now shows `status` (see `stale_cards`)."""
        await self._pool.execute("UPDATE applications SET card_status = $2 WHERE id = $1", application_id, status.value)

    async def stale_cards(self, settled_seconds: float = 5.0, limit: int = 100) -> list[Application]:
        """Applications whose card shows another status than theirs, unchanged for `settled_seconds` (so
        a card whose edit is on its way now is left to it): their process died before the edit."""
        rows = await self._pool.fetch(
            f"""SELECT {APPLICATION_COLUMNS} FROM applications a JOIN jobs j ON j.id = a.job_id
                WHERE a.card_message_id IS NOT NULL AND a.card_status IS DISTINCT FROM a.status
                  AND a.updated_at < now() - make_interval(secs => $1)
                ORDER BY a.updated_at LIMIT $2""",
            settled_seconds,
            limit,
        )
        return [application_from_row(row) for row in rows]

    async def get(self, application_id: int, *, user_id: int | None = None) -> Application | None:
        row = await self._pool.fetchrow(
            f"""SELECT {APPLICATION_COLUMNS} FROM applications a JOIN jobs j ON j.id = a.job_id
                WHERE a.id = $1 AND ($2::bigint IS NULL OR a.user_id = $2)""",
            application_id,
            user_id,
        )
        return application_from_row(row) if row else None

    async def list_for_user(
        self,
        user_id: int,
        *,
        statuses: Iterable[ApplicationStatus] | None = None,
        limit: int | None = 20,
        offset: int = 0,
    ) -> list[Application]:
        """Newest first; `statuses` narrows the list, `limit=None` returns them all."""
        rows = await self._pool.fetch(
            f"""SELECT {APPLICATION_COLUMNS} FROM applications a JOIN jobs j ON j.id = a.job_id
                WHERE a.user_id = $1 AND ($2::text[] IS NULL OR a.status = ANY($2::text[]))
                ORDER BY a.id DESC LIMIT $3 OFFSET $4""",
            user_id,
            [s.value for s in statuses] if statuses is not None else None,
            limit,
            offset,
        )
        return [application_from_row(r) for r in rows]

    async def count_for_user(self, user_id: int, *, statuses: Iterable[ApplicationStatus] | None = None) -> int:
        return cast(
            int,
            await self._pool.fetchval(
                """SELECT count(*) FROM applications
               WHERE user_id = $1 AND ($2::text[] IS NULL OR status = ANY($2::text[]))""",
                user_id,
                [s.value for s in statuses] if statuses is not None else None,
            ),
        )

    async def counts_by_status(self, user_id: int) -> dict[ApplicationStatus, int]:
        rows = await self._pool.fetch(
            "SELECT status, count(*) AS n FROM applications WHERE user_id = $1 GROUP BY status", user_id
        )
        return {ApplicationStatus(r["status"]): r["n"] for r in rows}

    async def submitted_since(self, user_id: int, since: datetime) -> int:
        return cast(
            int,
            await self._pool.fetchval(
                "SELECT count(*) FROM applications WHERE user_id = $1 AND submitted_at >= $2", user_id, since
            ),
        )

    async def counted_toward_cap(self, user_id: int, since: datetime) -> int:
        """What the daily cap counts: applications queued, running or waiting now, and those submitted since."""
        return cast(
            int,
            await self._pool.fetchval(
                """SELECT count(*) FROM applications WHERE user_id = $1
               AND (status IN ('queued', 'running', 'waiting_user') OR submitted_at >= $2)""",
                user_id,
                since,
            ),
        )

    async def in_statuses(self, statuses: Iterable[ApplicationStatus]) -> list[Application]:
        rows = await self._pool.fetch(
            f"""SELECT {APPLICATION_COLUMNS} FROM applications a JOIN jobs j ON j.id = a.job_id
                WHERE a.status = ANY($1::text[]) ORDER BY a.id""",
            [s.value for s in statuses],
        )
        return [application_from_row(r) for r in rows]

    async def events(self, application_id: int) -> list[Event]:
        rows = await self._pool.fetch(
            """SELECT from_status, to_status, note, created_at FROM application_events
               WHERE application_id = $1 ORDER BY id""",
            application_id,
        )
        return [
            Event(
                from_status=ApplicationStatus(r["from_status"]) if r["from_status"] else None,
                to_status=ApplicationStatus(r["to_status"]),
                note=r["note"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def record_fields(self, application_id: int, fields: Iterable[FieldRecord]) -> None:
        """Replace the recorded field read-back for the application."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM application_fields WHERE application_id = $1", application_id)
            await conn.executemany(
                """INSERT INTO application_fields (application_id, label, selector, intended, actual, required)
                   VALUES ($1, $2, $3, $4, $5, $6)""",
                [(application_id, f.label, f.selector, f.intended, f.actual, f.required) for f in fields],
            )

    async def fields(self, application_id: int) -> list[FieldRecord]:
        rows = await self._pool.fetch(
            """SELECT label, selector, intended, actual, required FROM application_fields
               WHERE application_id = $1 ORDER BY id""",
            application_id,
        )
        return [FieldRecord(**dict(r)) for r in rows]
