"""Scheduled work: expiring unanswered prompts and reconciling applications after a restart."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from automation.notifier import Notifier
from automation.prompts import PromptBridge
from automation.queue import ApplicationQueue
from automation.workflow import close_prompt
from scheduler.digest import DigestFanOut, run_digests
from storage.applications import ApplicationRepository
from storage.browser_sessions import BrowserSessionRepository
from storage.models import ApplicationStatus, PromptStatus
from storage.prompts import PromptRepository
from storage.user_settings import UserSettingsRepository

log = logging.getLogger(__name__)
S = ApplicationStatus

# A worker beats every 20 s; three minutes of silence means it is gone.
STALE_AFTER_SECONDS = 180.0


@dataclass
class SchedulerDeps:
    applications: ApplicationRepository
    browser_sessions: BrowserSessionRepository
    prompts: PromptRepository
    bridge: PromptBridge
    queue: ApplicationQueue
    notifier: Notifier
    user_settings: UserSettingsRepository
    digests: DigestFanOut | None = None  # the daily digest's fan-out (None: no digests)


async def expire_prompts(deps: SchedulerDeps) -> int:
    """Close every prompt whose time is up. A worker holding one wakes and records the timeout; a
    parked one has no worker, so its application is timed out here."""
    expired = 0
    for prompt in await deps.prompts.pending():
        if not prompt.is_overdue:
            break  # ordered by expires_at
        closed = await close_prompt(
            prompt.id, PromptStatus.EXPIRED, prompts=deps.prompts, notifier=deps.notifier, bridge=deps.bridge
        )
        if closed is not None:
            expired += 1
            if closed.parked_at is not None:
                await _timed_out(deps, closed.application_id, f"nobody answered the {closed.kind.value}")
    return expired


async def _timed_out(deps: SchedulerDeps, application_id: int, note: str) -> None:
    moved = await deps.applications.transition(application_id, S.TIMED_OUT, from_statuses=[S.WAITING_USER], note=note)
    if moved is not None:
        await deps.notifier.application_changed(moved)


async def reconcile(deps: SchedulerDeps) -> None:
    """Nothing is forgotten: re-queue queued work Redis lost, fill again what a dead worker left before
    submitting, and mark what it left while submitting (nobody can know what the employer got).

    Waiting for the user is a normal state with or without a worker: a prompt whose worker died is
    parked (and carried out by a resume job if it was answered meanwhile), never failed.
    """
    for app in await deps.browser_sessions.stale_running(STALE_AFTER_SECONDS):
        if app.status is S.WAITING_USER and await _keep_waiting(deps, app.id):
            continue
        if app.status is S.RUNNING and await _requeue_abandoned(deps, app.id):
            continue
        # Checked again in the same statement: a worker that beat since the list was read is alive.
        failed = await deps.applications.transition(
            app.id,
            S.FAILED,
            from_statuses=[S.RUNNING, S.WAITING_USER],
            # Only a claimed submit gets here (anything earlier is queued again): the form may have been sent.
            note="the worker stopped while submitting",
            error="The worker stopped while submitting; check your e-mail before applying again.",
            unless_beating_within=STALE_AFTER_SECONDS,
        )
        if failed is None:
            continue  # its worker beats again, or someone else moved it: nothing to close
        pending = await deps.prompts.pending_for_application(app.id)
        if pending is not None:
            await close_prompt(pending.id, PromptStatus.CANCELLED, prompts=deps.prompts, notifier=deps.notifier)
        log.warning("application %s: worker gone, marked failed", app.id)
        await deps.notifier.application_changed(failed)
    for app in await deps.applications.in_statuses([S.QUEUED]):
        await deps.queue.enqueue(app, await deps.applications.attempts(app.id))


async def _requeue_abandoned(deps: SchedulerDeps, application_id: int) -> bool:
    """A worker died while filling, before any submit click: the form is filled again from the start.

    One guarded statement decides it (still running, no heartbeat, submit not claimed), so a worker
    that is alive after all, or one that began submitting, keeps its application.
    """
    moved = await deps.applications.transition(
        application_id,
        S.QUEUED,
        from_statuses=[S.RUNNING],
        note="the worker stopped while filling; queued again",
        unless_beating_within=STALE_AFTER_SECONDS,
        unclaimed=True,
    )
    if moved is None:
        return False
    log.warning("application %s: worker gone before submitting, queued again", application_id)
    await deps.queue.enqueue(moved, await deps.applications.attempts(application_id))
    await deps.notifier.application_changed(moved)
    return True


async def _keep_waiting(deps: SchedulerDeps, application_id: int) -> bool:
    """An application waiting with no worker behind it: whether its latest prompt still stands.

    A pending prompt waits on, parked; an answered one is carried out by a resume job (again, should
    Redis have lost it: the job id makes that a no-op otherwise). An expired one times it out.
    """
    prompt = await deps.prompts.latest_for_application(application_id)
    if prompt is None:
        return False
    if prompt.status is PromptStatus.EXPIRED:
        await _timed_out(deps, application_id, f"nobody answered the {prompt.kind.value}")
        return True
    if prompt.status not in (PromptStatus.PENDING, PromptStatus.ANSWERED):
        return False
    if prompt.parked_at is None:
        prompt = await deps.prompts.take_over(prompt.id) or await deps.prompts.get(prompt.id)
        if prompt is None:
            return False
        log.info("application %s: its worker is gone; prompt %s parked", application_id, prompt.id)
    if prompt.status is PromptStatus.ANSWERED:
        await deps.bridge.resume(prompt)
    return prompt.status in (PromptStatus.PENDING, PromptStatus.ANSWERED)


async def redraw_cards(deps: SchedulerDeps) -> int:
    """Draw again each card that shows another status than its application's (its process died between
    the change and the card's edit); how many."""
    redrawn = 0
    for app in await deps.applications.stale_cards():
        try:
            await deps.notifier.application_changed(app)
        except Exception:
            log.warning("application %s: its card could not be drawn again", app.id, exc_info=True)
            continue
        redrawn += 1
    if redrawn:
        log.info("%d card(s) drawn again with their application's status", redrawn)
    return redrawn


def build_scheduler(
    deps: SchedulerDeps, *, check_seconds: float = 30.0, digest_seconds: float = 60.0, cards_seconds: float = 10.0
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    now = datetime.now(UTC)  # each also runs once at start-up: that is the recovery after a restart
    for job, seconds in ((expire_prompts, check_seconds), (reconcile, 60.0), (redraw_cards, cards_seconds)):
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            args=[deps],
            id=job.__name__,
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
    if deps.digests is not None:  # a digest goes out within `digest_seconds` of its time
        scheduler.add_job(
            run_digests,
            "interval",
            seconds=digest_seconds,
            args=[deps.digests],
            id="send_digests",
            max_instances=1,
            coalesce=True,
        )
    return scheduler
