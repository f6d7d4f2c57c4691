"""The daily digest: what happened in the last day and what waits for the user, at their chosen time."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from html import escape
from zoneinfo import ZoneInfo

from automation.notifier import Notifier
from storage.applications import ApplicationRepository
from storage.models import ApplicationStatus
from storage.user_settings import UserSettings, UserSettingsRepository

log = logging.getLogger(__name__)
S = ApplicationStatus


def due_today(settings: UserSettings, last_sent: date | None, now: datetime) -> date | None:
    """The user's local date if their digest time has passed today and today's was not sent yet."""
    local = now.astimezone(ZoneInfo(settings.time_zone))
    if local.time() < settings.digest_time or last_sent == local.date():
        return None
    return local.date()


async def digest_text(applications: ApplicationRepository, user_id: int, now: datetime) -> str | None:
    """None when there is nothing worth a message."""
    counts = await applications.counts_by_status(user_id)
    submitted = await applications.submitted_since(user_id, now - timedelta(days=1))
    waiting_decision = counts.get(S.AWAITING_APPROVAL, 0)
    waiting_review = counts.get(S.WAITING_USER, 0)
    failed = await applications.list_for_user(user_id, statuses=[S.FAILED, S.TIMED_OUT], limit=5)
    if not (submitted or waiting_decision or waiting_review or failed):
        return None
    lines = ["☀️ <b>Your daily digest</b>", f"Submitted in the last 24 hours: {submitted}"]
    if waiting_decision:
        lines.append(f"Jobs waiting for your Apply/Skip: {waiting_decision}")
    if waiting_review:
        lines.append(f"Forms waiting for your review: {waiting_review}")
    if failed:
        lines.append("Needs a retry: " + ", ".join(f"#{a.id} {escape(a.title or a.url)[:60]}" for a in failed))
    lines.append("/jobs lists everything.")
    return "\n".join(lines)


async def send_digests(
    user_settings: UserSettingsRepository, applications: ApplicationRepository, notifier: Notifier,
    *, now: datetime | None = None,
) -> int:
    now = now or datetime.now(timezone.utc)
    sent = 0
    for user_id, settings, last_sent in await user_settings.digest_candidates():
        local_day = due_today(settings, last_sent, now)
        if local_day is None:
            continue
        # Claim first so two schedulers never send the same digest twice.
        if not await user_settings.mark_digest_sent(user_id, local_day):
            continue
        text = await digest_text(applications, user_id, now)
        if text is not None:
            await notifier.say(user_id, text)
            sent += 1
    return sent
