"""The daily digest, exactly once at each user's time: write the day's outbox rows, then fan out.

Every minute (in every bot process) `run_digests`:
1. writes a `digests` row for each active user whose digest time has passed on their local date
   and who has none for that date yet (users read in pages, the time zone's rules from zoneinfo,
   so DST days work: a time the clocks skip is sent just after the jump, a time they repeat once);
2. expires the rows whose local day ended unsent;
3. claims due rows in batches (`FOR UPDATE SKIP LOCKED`, with a lease), and for each one, with at
   most `concurrency` in flight: composes the digest, holds the lease again and records what the
   buttons will need, sends it through the channel (which goes through bot/sending.py's pacing),
   and marks it sent. A failed send is retried later (back-off, until the day is over); a quiet
   day with the user's "nothing" setting is marked without a message.

Memory stays flat: users are read a page at a time and at most `concurrency` digests exist at once.
A send interrupted by a crash keeps its lease until it runs out, then any process sends it; the
only way to a second copy is a crash between Telegram accepting a message and the row being
marked sent (Telegram has no idempotency key), a window of one database round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.digests import (
    Candidate,
    ClaimedDigest,
    Digest,
    DigestRepository,
    DigestStatus,
    DueDigest,
    apply_all_threshold,
    local_window,
)
from storage.user_settings import QuietDigest, UserSettings, UserSettingsRepository

log = logging.getLogger(__name__)

DEFAULTS = UserSettings()
PAGE = 1000


def utc_now() -> datetime:
    return datetime.now(UTC)


class DigestChannel(Protocol):
    """The chat side: how a digest reaches the user."""

    async def send_digest(self, digest: Digest) -> list[int] | None:
        """Send it; the message ids, or None when the user cannot be reached (blocked the bot).
        Raises when the send failed and may succeed later."""


def due_digest(candidate: Candidate, now: datetime) -> DueDigest | None:
    """The row to write for this user now, or None (not their time yet, or written already)."""
    try:
        zone = ZoneInfo(candidate.time_zone or DEFAULTS.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("user %s: unknown time zone %r, no digest", candidate.user_id, candidate.time_zone)
        return None
    at: time = candidate.digest_time or DEFAULTS.digest_time
    local = now.astimezone(zone)
    today = local.date()
    if local.time() < at or (candidate.last_date is not None and candidate.last_date >= today):
        return None
    _, day_end = local_window(today, zone)
    due_at = datetime.combine(today, at, tzinfo=zone).astimezone(UTC)
    return DueDigest(candidate.user_id, today, min(due_at, now), day_end)


async def write_due(digests: DigestRepository, now: datetime, *, page: int = PAGE) -> int:
    """Write today's row for every user whose time has come; returns how many were new."""
    written, after = 0, 0
    while candidates := await digests.candidates(after, page):
        due = [d for c in candidates if (d := due_digest(c, now)) is not None]
        written += await digests.write_scheduled(due, now)
        after = candidates[-1].user_id
    return written


@dataclass
class FanOutReport:
    written: int = 0
    expired: int = 0
    sent: int = 0
    quiet: int = 0  # quiet days marked without a message
    blocked: int = 0
    retrying: int = 0  # failed now, tried again later
    lost: int = 0  # another process took the row over (our lease ran out)


@dataclass
class DigestFanOut:
    """Sends every due digest once. `clock` is the time source (tests pass their own)."""

    digests: DigestRepository
    user_settings: UserSettingsRepository
    channel: DigestChannel
    clock: Callable[[], datetime] = utc_now
    concurrency: int = 64
    batch: int = 100
    lease: timedelta = timedelta(minutes=5)
    first_retry: timedelta = timedelta(minutes=1)
    last_retry: timedelta = timedelta(minutes=30)
    _running: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def run(self) -> FanOutReport:
        report = FanOutReport()
        async with self._running:  # one fan-out per process at a time; others are kept off by the rows
            now = self.clock()
            report.written = await write_due(self.digests, now)
            report.expired = await self.digests.expire(now)
            await self._send_due(report)
        return report

    async def _send_due(self, report: FanOutReport) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        in_flight: set[asyncio.Task[None]] = set()

        def finished(sent: asyncio.Task[None]) -> None:
            in_flight.discard(sent)
            slots.release()

        waiting: list[ClaimedDigest] = []
        try:
            while claimed := await self.digests.claim(self.clock(), self.batch, self.lease):
                waiting = list(reversed(claimed))
                while waiting:
                    await slots.acquire()
                    task = asyncio.create_task(self._send_one(waiting.pop(), report))
                    in_flight.add(task)
                    task.add_done_callback(finished)
            await asyncio.gather(*in_flight)
        except asyncio.CancelledError:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            for row in waiting:
                await asyncio.shield(self._release(row))
            raise

    async def _release(self, row: ClaimedDigest) -> None:
        """Stopping before this row's send began: it goes back at once instead of waiting out its lease.
        (A row whose send began keeps its lease: Telegram may already have it.)"""
        await self.digests.retry_later(row, self.clock(), "stopped before sending")

    async def _send_one(self, row: ClaimedDigest, report: FanOutReport) -> None:
        sending = asyncio.Event()
        try:
            await self._deliver(row, report, sending)
        except asyncio.CancelledError:
            if not sending.is_set():
                await asyncio.shield(self._release(row))
            raise
        except Exception as error:  # noqa: BLE001 - one user's failure never stops the others
            log.warning("digest %s for user %s failed (attempt %d): %s", row.id, row.user_id, row.attempts, error)
            retry_at = self.clock() + min(self.last_retry, self.first_retry * 2 ** (row.attempts - 1))
            await self.digests.retry_later(row, retry_at, f"{type(error).__name__}: {error}")
            report.retrying += 1

    async def _deliver(self, row: ClaimedDigest, report: FanOutReport, sending: asyncio.Event) -> None:
        settings = await self.user_settings.get(row.user_id)
        now = self.clock()
        digest = await self.digests.compose(
            row.user_id,
            row.local_date,
            ZoneInfo(settings.time_zone),
            now,
            apply_all_threshold=apply_all_threshold(settings),
        )
        digest = replace(digest, id=row.id)
        if digest.quiet and settings.quiet_digest is QuietDigest.NONE:
            await self.digests.finish(row, DigestStatus.QUIET, now)
            report.quiet += 1
            return
        if not await self.digests.hold(row, now, self.lease, digest.payload()):
            report.lost += 1
            return
        sending.set()
        message_ids = await self.channel.send_digest(digest)
        if message_ids is None:
            await self.digests.finish(row, DigestStatus.BLOCKED, self.clock(), error="the user cannot be reached")
            report.blocked += 1
            return
        report.sent += 1
        try:
            marked = await self.digests.finish(row, DigestStatus.SENT, self.clock(), message_ids=message_ids)
        except Exception:  # sent all the same: not a failure to retry now
            log.exception("digest %s was sent but not marked; it goes again when its lease runs out", row.id)
            return
        if not marked:
            log.error("digest %s for user %s was sent after its lease ran out", row.id, row.user_id)


async def run_digests(fan_out: DigestFanOut) -> FanOutReport:
    """The scheduler's job."""
    report = await fan_out.run()
    if report.sent or report.retrying or report.expired or report.blocked:
        log.info("digests: %s", report)
    return report
