"""The daily digest: its outbox rows (written, sent, marked sent) and the facts it is made of.

A scheduled digest is one row per user and local date (`digests_one_a_day`). A sender claims
rows with `FOR UPDATE SKIP LOCKED` and a lease (token + time), holds the lease again right
before it sends, and marks the row sent only with its own token: two processes never send
the same row, and a row whose sender died is claimed again when its lease runs out.
"""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import asyncpg

from storage.models import ApplicationStatus, PromptKind
from storage.resilience import ResilientPool
from storage.user_settings import UserSettings

S = ApplicationStatus
WEEK_DAYS = 7
LISTED_JOBS = 5  # jobs waiting for Apply/Skip shown one by one
LISTED_FAILED = 5
APPLY_ALL_MAX = 50  # the most "Apply all" queues at once
DEFAULT_APPLY_ALL_SCORE = 70  # "Apply all" when the user set no auto-apply threshold
AWAITING = (S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL)
RETRYABLE = (S.FAILED, S.TIMED_OUT)


class DigestKind(str, enum.Enum):
    SCHEDULED = "scheduled"
    ON_DEMAND = "on_demand"


class DigestStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    QUIET = "quiet"  # a quiet day, and the user wants no message then
    EXPIRED = "expired"  # the local day ended before a send succeeded
    BLOCKED = "blocked"  # the user blocked the bot


# --------------------------------------------------------------------------- what a digest says


@dataclass(frozen=True)
class DayCounts:
    day: date
    submitted: int = 0
    skipped: int = 0
    failed: int = 0  # failed or timed out
    responses: int | None = None  # employers' replies: not recorded yet, so never known


@dataclass(frozen=True)
class WaitingJob:
    application_id: int
    title: str
    score: float | None


@dataclass(frozen=True)
class WaitingPrompt:
    prompt_id: int
    application_id: int
    kind: PromptKind
    title: str
    label: str | None  # a question's text


@dataclass(frozen=True)
class FailedJob:
    application_id: int
    title: str
    status: ApplicationStatus
    reason: str


@dataclass(frozen=True)
class Spend:
    """What the last day and week cost. Money and CAPTCHA solves are None until something records them."""

    tokens_day: int = 0
    tokens_week: int = 0
    money_day: Decimal | None = None
    money_week: Decimal | None = None
    captchas_day: int | None = None
    captchas_week: int | None = None


@dataclass(frozen=True)
class Digest:
    user_id: int
    local_date: date
    week: list[DayCounts]
    last_day: DayCounts  # the 24 hours before the digest was made
    awaiting: list[WaitingJob] = field(default_factory=list)
    awaiting_total: int = 0
    apply_all_threshold: int = 70
    apply_all: list[int] = field(default_factory=list)  # awaiting jobs scored at or above the threshold
    prompts: list[WaitingPrompt] = field(default_factory=list)
    failed: list[FailedJob] = field(default_factory=list)
    failed_total: int = 0
    spend: Spend = field(default_factory=Spend)
    id: int | None = None  # its outbox row, once written

    @property
    def quiet(self) -> bool:
        day = self.last_day
        busy = day.submitted or day.skipped or day.failed
        return not (busy or self.awaiting_total or self.prompts or self.failed_total)

    def payload(self) -> dict[str, Any]:
        """What the buttons need later: the jobs "Apply all" meant when it was shown."""
        return {"apply_all": self.apply_all, "threshold": self.apply_all_threshold}


def apply_all_threshold(settings: UserSettings) -> int:
    """The score from which "Apply all" applies: the user's auto-apply threshold, else a strong match."""
    return settings.auto_apply_threshold if settings.auto_apply_threshold is not None else DEFAULT_APPLY_ALL_SCORE


def local_today(settings: UserSettings, now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.time_zone)).date()


def local_window(local_date: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants where the user's `local_date` starts and ends (DST days are 23 or 25 hours)."""
    start = datetime.combine(local_date, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(local_date + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _title(row: asyncpg.Record) -> str:
    return cast(str, row["title"] or row["url"])


# --------------------------------------------------------------------------- the outbox


@dataclass(frozen=True)
class Candidate:
    """An active user with their digest time, zone and the last local date a scheduled digest was written for."""

    user_id: int
    digest_time: time | None
    time_zone: str | None
    last_date: date | None


@dataclass(frozen=True)
class DueDigest:
    user_id: int
    local_date: date
    due_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ClaimedDigest:
    id: int
    user_id: int
    local_date: date
    attempts: int
    token: uuid.UUID


class CountAsToday(enum.Enum):
    COUNTED = "counted"
    ALREADY_SENT = "already sent"
    BEING_SENT = "being sent"
    OTHER_DAY = "other day"


class DigestRepository:
    def __init__(self, pool: ResilientPool) -> None:
        self._pool = pool

    # writing the day's rows -------------------------------------------------

    async def candidates(self, after_user_id: int, limit: int) -> list[Candidate]:
        """Active users in id order after `after_user_id` (keyset paging keeps memory flat)."""
        rows = await self._pool.fetch(
            """SELECT u.id, s.digest_time, s.time_zone,
                      (SELECT max(d.local_date) FROM digests d
                       WHERE d.user_id = u.id AND d.kind = 'scheduled') AS last_date
               FROM users u LEFT JOIN user_settings s ON s.user_id = u.id
               WHERE u.active AND u.id > $1 ORDER BY u.id LIMIT $2""",
            after_user_id,
            limit,
        )
        return [Candidate(r["id"], r["digest_time"], r["time_zone"], r["last_date"]) for r in rows]

    async def write_scheduled(self, due: list[DueDigest], now: datetime) -> int:
        """One row per user and local date; a row already there (another process, an earlier run) wins.

        Due now, whatever `due_at` says: a digest time that does not exist (skipped by a DST change)
        maps to an instant after the jump.
        """
        if not due:
            return 0
        result = await self._pool.execute(
            """INSERT INTO digests (user_id, local_date, kind, due_at, expires_at, next_attempt_at)
               SELECT u, d, 'scheduled', a, e, $5
               FROM unnest($1::bigint[], $2::date[], $3::timestamptz[], $4::timestamptz[]) AS t(u, d, a, e)
               ON CONFLICT (user_id, local_date) WHERE kind = 'scheduled' DO NOTHING""",
            [d.user_id for d in due],
            [d.local_date for d in due],
            [d.due_at for d in due],
            [d.expires_at for d in due],
            now,
        )
        return int(result.split()[-1])

    # sending ------------------------------------------------------------------

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedDigest]:
        """Up to `limit` rows due now, none another process holds; each gets a fresh lease."""
        token = uuid.uuid4()
        rows = await self._pool.fetch(
            """WITH picked AS (
                   SELECT id FROM digests
                   WHERE kind = 'scheduled' AND status IN ('pending', 'sending')
                     AND next_attempt_at <= $1 AND expires_at > $1
                     AND (status = 'pending' OR lease_until <= $1)
                   ORDER BY next_attempt_at, id LIMIT $2
                   FOR UPDATE SKIP LOCKED)
               UPDATE digests d SET status = 'sending', lease_token = $3, lease_until = $1 + $4,
                                    attempts = d.attempts + 1
               FROM picked WHERE d.id = picked.id
               RETURNING d.id, d.user_id, d.local_date, d.attempts""",
            now,
            limit,
            token,
            lease,
        )
        return [ClaimedDigest(r["id"], r["user_id"], r["local_date"], r["attempts"], token) for r in rows]

    async def hold(self, claimed: ClaimedDigest, now: datetime, lease: timedelta, payload: dict[str, Any]) -> bool:
        """Right before sending: renew our lease and write what the message offers. False: not ours any more."""
        held = await self._pool.fetchval(
            """UPDATE digests SET lease_until = $3 + $4, payload = $5
               WHERE id = $1 AND lease_token = $2 AND status = 'sending' AND expires_at > $3
               RETURNING id""",
            claimed.id,
            claimed.token,
            now,
            lease,
            payload,
        )
        return held is not None

    async def finish(
        self,
        claimed: ClaimedDigest,
        status: DigestStatus,
        now: datetime,
        *,
        message_ids: list[int] | None = None,
        error: str | None = None,
    ) -> bool:
        """Sent, quiet or blocked: the row is done (only with our lease)."""
        done = await self._pool.fetchval(
            """UPDATE digests SET status = $3, sent_at = CASE WHEN $3 = 'sent' THEN $4::timestamptz END,
                                  message_ids = $5, last_error = COALESCE($6, last_error),
                                  lease_token = NULL, lease_until = NULL
               WHERE id = $1 AND lease_token = $2 RETURNING id""",
            claimed.id,
            claimed.token,
            status.value,
            now,
            message_ids,
            error,
        )
        return done is not None

    async def retry_later(self, claimed: ClaimedDigest, at: datetime, error: str) -> None:
        await self._pool.execute(
            """UPDATE digests SET status = 'pending', next_attempt_at = $3, last_error = $4,
                                  lease_token = NULL, lease_until = NULL
               WHERE id = $1 AND lease_token = $2""",
            claimed.id,
            claimed.token,
            at,
            error[:500],
        )

    async def expire(self, now: datetime) -> int:
        """Rows whose local day ended unsent: never sent late."""
        result = await self._pool.execute(
            """UPDATE digests SET status = 'expired', lease_token = NULL, lease_until = NULL
               WHERE kind = 'scheduled' AND expires_at <= $1
                 AND (status = 'pending' OR (status = 'sending' AND lease_until <= $1))""",
            now,
        )
        return int(result.split()[-1])

    # on demand --------------------------------------------------------------

    async def write_on_demand(self, digest: Digest, now: datetime) -> int:
        """A row for a /digest message, so its buttons can find what it offered (never sent by the fan-out)."""
        return cast(
            int,
            await self._pool.fetchval(
                """INSERT INTO digests (user_id, local_date, kind, status, due_at, expires_at, next_attempt_at,
                                    payload, sent_at)
               VALUES ($1, $2, 'on_demand', 'sent', $3, $3, $3, $4, $3) RETURNING id""",
                digest.user_id,
                digest.local_date,
                now,
                digest.payload(),
            ),
        )

    async def set_messages(self, digest_id: int, message_ids: list[int]) -> None:
        await self._pool.execute("UPDATE digests SET message_ids = $2 WHERE id = $1", digest_id, message_ids)

    async def payload(self, digest_id: int, user_id: int) -> dict[str, Any] | None:
        return cast(
            "dict[str, Any] | None",
            await self._pool.fetchval("SELECT payload FROM digests WHERE id = $1 AND user_id = $2", digest_id, user_id),
        )

    async def count_as_today(self, digest_id: int, user_id: int, today: date, now: datetime) -> CountAsToday:
        """Take an on-demand digest as the scheduled one of its day, unless that one is sent or on its way."""
        shown = await self._pool.fetchval(
            "SELECT local_date FROM digests WHERE id = $1 AND user_id = $2 AND kind = 'on_demand'",
            digest_id,
            user_id,
        )
        if shown != today:
            return CountAsToday.OTHER_DAY
        counted = await self._pool.fetchval(
            """INSERT INTO digests (user_id, local_date, kind, status, due_at, expires_at, next_attempt_at,
                                   sent_at, counted_from)
               VALUES ($1, $2, 'scheduled', 'sent', $3, $3, $3, $3, $4)
               ON CONFLICT (user_id, local_date) WHERE kind = 'scheduled' DO UPDATE
                 SET status = 'sent', sent_at = $3, counted_from = $4, lease_token = NULL, lease_until = NULL
                 WHERE digests.status IN ('pending', 'expired')
                    OR (digests.status = 'sending' AND digests.lease_until <= $3)
               RETURNING id""",
            user_id,
            today,
            now,
            digest_id,
        )
        if counted is not None:
            return CountAsToday.COUNTED
        status = await self._pool.fetchval(
            "SELECT status FROM digests WHERE user_id = $1 AND local_date = $2 AND kind = 'scheduled'",
            user_id,
            today,
        )
        return CountAsToday.BEING_SENT if status == DigestStatus.SENDING.value else CountAsToday.ALREADY_SENT

    # the facts ------------------------------------------------------------------

    async def compose(
        self,
        user_id: int,
        local_date: date,
        zone: ZoneInfo,
        now: datetime,
        *,
        apply_all_threshold: int,
    ) -> Digest:
        """Everything one user's digest says, as of `now`."""
        week_start, _ = local_window(local_date - timedelta(days=WEEK_DAYS - 1), zone)
        day_start = now - timedelta(days=1)
        async with self._pool.acquire() as conn:
            events = await conn.fetch(
                """SELECT e.application_id, e.to_status, e.created_at FROM applications a
                   JOIN application_events e ON e.application_id = a.id
                   WHERE a.user_id = $1 AND e.created_at >= $2 AND e.created_at <= $3
                     AND e.to_status IN ('submitted', 'skipped', 'failed', 'timed_out')
                     AND e.from_status IS DISTINCT FROM e.to_status""",
                user_id,
                week_start,
                now,
            )
            awaiting = await conn.fetch(
                """SELECT a.id, j.title, j.url, a.score, count(*) OVER () AS total FROM applications a
                   JOIN jobs j ON j.id = a.job_id
                   WHERE a.user_id = $1 AND a.status = ANY($2::text[])
                   ORDER BY a.score DESC NULLS LAST, a.id LIMIT $3""",
                user_id,
                [s.value for s in AWAITING],
                LISTED_JOBS,
            )
            apply_all = await conn.fetch(
                """SELECT id FROM applications WHERE user_id = $1 AND status = ANY($2::text[]) AND score >= $3
                   ORDER BY score DESC, id LIMIT $4""",
                user_id,
                [s.value for s in AWAITING],
                apply_all_threshold,
                APPLY_ALL_MAX,
            )
            prompts = await conn.fetch(
                """SELECT p.id, p.application_id, p.kind, p.payload, j.title, j.url FROM prompts p
                   JOIN applications a ON a.id = p.application_id JOIN jobs j ON j.id = a.job_id
                   WHERE p.user_id = $1 AND p.status = 'pending' AND p.expires_at > $2 ORDER BY p.id""",
                user_id,
                now,
            )
            failed = await conn.fetch(
                """SELECT a.id, j.title, j.url, a.status, a.error, count(*) OVER () AS total FROM applications a
                   JOIN jobs j ON j.id = a.job_id
                   WHERE a.user_id = $1 AND a.status = ANY($2::text[]) AND a.submit_started_at IS NULL
                     AND a.updated_at >= $3
                   ORDER BY a.updated_at DESC, a.id DESC LIMIT $4""",
                user_id,
                [s.value for s in RETRYABLE],
                week_start,
                LISTED_FAILED,
            )
            spend = await conn.fetchrow(
                """SELECT coalesce(sum(llm_tokens) FILTER (WHERE created_at > $3), 0) AS tokens_day,
                          coalesce(sum(llm_tokens), 0) AS tokens_week,
                          sum(money_usd) FILTER (WHERE created_at > $3) AS money_day,
                          sum(money_usd) AS money_week,
                          sum(captcha_solves) FILTER (WHERE created_at > $3 AND captcha_solves > 0) AS captchas_day,
                          sum(captcha_solves) FILTER (WHERE captcha_solves > 0) AS captchas_week
                   FROM spending WHERE user_id = $1 AND created_at >= $2 AND created_at <= $4""",
                user_id,
                week_start,
                day_start,
                now,
            )
        return Digest(
            user_id=user_id,
            local_date=local_date,
            week=_week(events, local_date, zone),
            last_day=_last_day(events, day_start),
            awaiting=[WaitingJob(r["id"], _title(r), r["score"]) for r in awaiting],
            awaiting_total=awaiting[0]["total"] if awaiting else 0,
            apply_all_threshold=apply_all_threshold,
            apply_all=[r["id"] for r in apply_all],
            prompts=[_waiting_prompt(r) for r in prompts],
            failed=[_failed_job(r) for r in failed],
            failed_total=failed[0]["total"] if failed else 0,
            spend=Spend(**dict(spend)),
        )


def _status_key(status: str) -> str | None:
    return {"submitted": "submitted", "skipped": "skipped", "failed": "failed", "timed_out": "failed"}.get(status)


def _week(events: list[asyncpg.Record], local_date: date, zone: ZoneInfo) -> list[DayCounts]:
    """Applications per local day and outcome (one application counts once per day and outcome)."""
    seen = {(r["created_at"].astimezone(zone).date(), _status_key(r["to_status"]), r["application_id"]) for r in events}
    counts = Counter((day, key) for day, key, _ in seen)
    days = [local_date - timedelta(days=back) for back in range(WEEK_DAYS - 1, -1, -1)]
    return [
        DayCounts(day, counts[(day, "submitted")], counts[(day, "skipped")], counts[(day, "failed")]) for day in days
    ]


def _last_day(events: list[asyncpg.Record], since: datetime) -> DayCounts:
    seen = {(_status_key(r["to_status"]), r["application_id"]) for r in events if r["created_at"] > since}
    counts = Counter(key for key, _ in seen)
    return DayCounts(since.date(), counts["submitted"], counts["skipped"], counts["failed"])


def _waiting_prompt(row: asyncpg.Record) -> WaitingPrompt:
    payload = row["payload"] or {}
    label = payload.get("question") if isinstance(payload, dict) else None
    return WaitingPrompt(row["id"], row["application_id"], PromptKind(row["kind"]), _title(row), label)


def _failed_job(row: asyncpg.Record) -> FailedJob:
    status = ApplicationStatus(row["status"])
    reason = row["error"] or ("Nobody answered in time." if status is S.TIMED_OUT else "No reason was recorded.")
    return FailedJob(row["id"], _title(row), status, reason)
