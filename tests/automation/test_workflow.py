"""The workflow's use cases against real PostgreSQL and Redis, the chat side being the fake Bot API:
the rules that refuse an Apply (no résumé, paused, the daily cap, submitted once), skip and retry,
cancel (refused once the submit is claimed), closing a prompt, and a link taken in once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from automation import workflow
from automation.workflow import CancelOutcome, LinkOutcome, Outcome, PauseOutcome
from bot.app import Services
from handlers.wording import cancellation_sentence, decision_sentence
from storage.files import UploadedFile
from storage.models import Application, Profile, PromptKind, PromptMessage, PromptStatus
from storage.models import ApplicationStatus as S
from tests.support import ALLOWED_USER

WAIT = 30
RESUME = UploadedFile("cv.pdf", "application/pdf", b"%PDF-1.4\n% Ada Lovelace resume\n%%EOF\n")
PROFILE = Profile(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.org",
    skills=["Python", "PostgreSQL", "asyncio"],
    headline="Backend Engineer",
)
# How an application reaches each status, one guarded move at a time.
PATHS = {
    S.AWAITING_APPROVAL: [S.AWAITING_APPROVAL],
    S.QUEUED: [S.AWAITING_APPROVAL, S.QUEUED],
    S.RUNNING: [S.AWAITING_APPROVAL, S.QUEUED, S.RUNNING],
    S.WAITING_USER: [S.AWAITING_APPROVAL, S.QUEUED, S.RUNNING, S.WAITING_USER],
}


@pytest_asyncio.fixture
async def services(settings):
    services = await Services.connect(settings)
    await services.users.upsert(ALLOWED_USER, ALLOWED_USER, "Ada", None)
    try:
        yield services
    finally:
        await services.close()


async def _application(services: Services, n: int, status: S = S.AWAITING_APPROVAL) -> Application:
    url = f"http://127.0.0.1:9/jobs/{n}"
    app = (await services.applications.intake(ALLOWED_USER, url=url, canonical_url=url, host="127.0.0.1")).application
    for to in PATHS[status]:
        moved = await services.applications.transition(app.id, to, from_statuses=[app.status])
        assert moved is not None
        app = moved
    return app


async def _with_resume(services: Services) -> None:
    await services.profiles.save(ALLOWED_USER, PROFILE, source="test", resume=RESUME)


async def _queued(services: Services) -> list[str]:
    """The arq jobs waiting in this test's queue."""
    return [job.decode() for job in await services.redis.zrange(services.settings.queue_name, 0, -1)]


async def _status(db, application_id: int) -> str:
    return await db.fetchval("SELECT status FROM applications WHERE id = $1", application_id)


def _rules(services: Services) -> dict[str, object]:
    """What the Apply rules read and the queue they put an application on."""
    return {
        "applications": services.applications,
        "profiles": services.profiles,
        "user_settings": services.user_settings,
        "queue": services.queue,
    }


async def test_apply_is_refused_until_the_rules_allow_it_then_queued_once(services, db):
    app = await _application(services, 1)

    no_resume = await workflow.queue_application(app, ALLOWED_USER, **_rules(services))
    assert no_resume.outcome is Outcome.NO_RESUME and no_resume.refused
    assert decision_sentence(no_resume) == "Load your profile and résumé first: send /profile to see how."

    await _with_resume(services)
    assert await workflow.set_paused(ALLOWED_USER, True, user_settings=services.user_settings) is PauseOutcome.PAUSED
    assert await workflow.set_paused(ALLOWED_USER, True, user_settings=services.user_settings) is (
        PauseOutcome.ALREADY_PAUSED
    )
    paused = await workflow.queue_application(app, ALLOWED_USER, **_rules(services))
    assert paused.outcome is Outcome.PAUSED and paused.refused
    assert decision_sentence(paused) == "You paused applying. Send /resume to start again."
    assert await workflow.set_paused(ALLOWED_USER, False, user_settings=services.user_settings) is PauseOutcome.RESUMED
    assert await workflow.set_paused(ALLOWED_USER, False, user_settings=services.user_settings) is (
        PauseOutcome.NOT_PAUSED
    )

    # The cap counts what is queued, running or waiting now, not only what was submitted.
    await db.execute("UPDATE user_settings SET daily_cap = 1 WHERE user_id = $1", ALLOWED_USER)
    await _application(services, 2, S.WAITING_USER)
    capped = await workflow.queue_application(app, ALLOWED_USER, **_rules(services))
    assert capped.outcome is Outcome.DAILY_CAP and capped.daily_cap == 1
    assert decision_sentence(capped) == "You reached your cap of 1 application(s) a day; change it in /settings."
    assert await _status(db, app.id) == "awaiting_approval" and await _queued(services) == []

    await db.execute("UPDATE user_settings SET daily_cap = 2 WHERE user_id = $1", ALLOWED_USER)
    queued = await workflow.queue_application(app, ALLOWED_USER, **_rules(services))
    assert queued.outcome is Outcome.QUEUED and not queued.refused and queued.application.status is S.QUEUED
    assert await _status(db, app.id) == "queued"
    assert [job.split(":")[:2] for job in await _queued(services)] == [["apply", str(app.id)]]

    await db.execute("UPDATE user_settings SET daily_cap = 5 WHERE user_id = $1", ALLOWED_USER)
    again = await workflow.queue_application(app, ALLOWED_USER, **_rules(services))  # a second tap on Apply
    assert again.outcome is Outcome.ALREADY and decision_sentence(again) == "It is already waiting for your decision."
    assert len(await _queued(services)) == 1


async def test_skip_then_retry_and_what_cannot_be_retried(services, db):
    await _with_resume(services)
    app = await _application(services, 1)

    not_yet = await workflow.retry_application(app, ALLOWED_USER, **_rules(services))
    assert not_yet.outcome is Outcome.NOT_RETRYABLE and await _status(db, app.id) == "awaiting_approval"
    assert decision_sentence(not_yet) == (
        f"#{app.id} is waiting for your decision; only failed, timed-out, cancelled or skipped ones can be retried."
    )

    skipped = await workflow.skip_application(app, ALLOWED_USER, applications=services.applications)
    assert skipped.outcome is Outcome.SKIPPED and decision_sentence(skipped) == "Skipped."
    assert await _status(db, app.id) == "skipped"
    twice = await workflow.skip_application(app, ALLOWED_USER, applications=services.applications)
    assert twice.outcome is Outcome.ALREADY and twice.application.status is S.AWAITING_APPROVAL

    retried = await workflow.retry_application(skipped.application, ALLOWED_USER, **_rules(services))
    assert retried.outcome is Outcome.QUEUED and await _status(db, app.id) == "queued"
    assert len(await _queued(services)) == 1


async def test_an_application_submitted_once_is_never_queued_again(services, db):
    await _with_resume(services)
    app = await _application(services, 1, S.RUNNING)
    assert await services.applications.claim_submission(app.id)
    failed = await services.applications.transition(app.id, S.FAILED, from_statuses=[S.RUNNING], error="lost")
    assert failed is not None

    refused = await workflow.retry_application(failed, ALLOWED_USER, **_rules(services))
    assert refused.outcome is Outcome.SUBMITTED_ONCE and refused.refused
    assert decision_sentence(refused) == "This application was already submitted once; I will not send it again."
    assert await _status(db, app.id) == "failed" and await _queued(services) == []


async def test_cancel_closes_the_waiting_prompt_and_is_refused_once_the_submit_is_claimed(services, db):
    waiting = await _application(services, 1, S.WAITING_USER)
    prompt = await services.prompts.create(
        waiting.id, ALLOWED_USER, PromptKind.REVIEW, {}, datetime.now(UTC) + timedelta(minutes=10)
    )
    worker = asyncio.create_task(services.bridge.wait(prompt.id))  # the worker holding the review

    cancelled = await workflow.cancel_application(
        waiting, ALLOWED_USER, applications=services.applications, prompts=services.prompts, bridge=services.bridge
    )
    assert cancelled.outcome is CancelOutcome.CANCELLED
    assert cancellation_sentence(cancelled) == f"#{waiting.id} cancelled. Nothing was submitted."
    assert await _status(db, waiting.id) == "cancelled"
    woken = await asyncio.wait_for(worker, WAIT)
    assert woken is not None and woken.status is PromptStatus.CANCELLED

    again = await workflow.cancel_application(
        waiting, ALLOWED_USER, applications=services.applications, prompts=services.prompts, bridge=services.bridge
    )
    assert again.outcome is CancelOutcome.NOTHING_TO_CANCEL
    assert cancellation_sentence(again) == f"#{waiting.id} is cancelled; there is nothing to cancel."

    sending = await _application(services, 2, S.RUNNING)
    assert await services.applications.claim_submission(sending.id)
    late = await workflow.cancel_application(
        sending, ALLOWED_USER, applications=services.applications, prompts=services.prompts, bridge=services.bridge
    )
    assert late.outcome is CancelOutcome.SUBMITTING
    assert "being sent to the employer right now" in cancellation_sentence(late)
    assert await _status(db, sending.id) == "running"


async def test_closing_a_prompt_tells_the_user_once(services, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    app = await _application(services, 1, S.WAITING_USER)
    prompt = await services.prompts.create(
        app.id, ALLOWED_USER, PromptKind.REVIEW, {}, datetime.now(UTC) - timedelta(seconds=1)
    )
    text = f"🙋 Review before submitting — #{app.id}"
    sent = await services.bot.send_message(user.chat_id, text)
    await services.prompts.set_message(prompt.id, PromptMessage(user.chat_id, sent.message_id, text))

    closed = await workflow.close_prompt(
        prompt.id, PromptStatus.EXPIRED, prompts=services.prompts, notifier=services.notifier, bridge=services.bridge
    )
    assert closed is not None and closed.status is PromptStatus.EXPIRED
    shown = await fake_telegram.wait_for_message(
        lambda m: m.message_id == sent.message_id and "This review expired" in m.body, timeout=WAIT
    )
    assert shown.body == f"{text}\n\n⌛ This review expired; nothing was submitted." and shown.buttons() == []

    assert (
        await workflow.close_prompt(
            prompt.id, PromptStatus.CANCELLED, prompts=services.prompts, notifier=services.notifier
        )
        is None
    )
    assert await db.fetchval("SELECT status FROM prompts WHERE id = $1", prompt.id) == "expired"
    assert len(fake_telegram.calls_of("editMessageText")) == 1


async def test_a_link_is_checked_and_taken_in_once(services, job_site, db):
    take = {**_rules(services), "allow_hosts": services.settings.url_allow_hosts}

    video = await workflow.take_link("https://www.youtube.com/watch?v=dQw4w9WgXcQ", ALLOWED_USER, **take)
    assert video.outcome is LinkOutcome.NOT_A_JOB and video.application is None and "not a job posting" in video.reason
    unsafe = await workflow.take_link("http://10.0.0.7/jobs/1", ALLOWED_USER, **take)
    assert unsafe.outcome is LinkOutcome.UNSAFE and unsafe.application is None and unsafe.reason
    assert await db.fetchval("SELECT count(*) FROM applications") == 0

    new = await workflow.take_link(job_site.posting_url, ALLOWED_USER, **take)
    assert new.outcome is LinkOutcome.NEW and new.auto_apply is None
    assert new.application is not None and new.application.status is S.AWAITING_APPROVAL and new.application.title
    seen = await workflow.take_link(job_site.posting_url, ALLOWED_USER, **take)
    assert seen.outcome is LinkOutcome.SEEN_BEFORE and seen.application.id == new.application.id
    assert await db.fetchval("SELECT count(*) FROM applications") == 1
    assert await _queued(services) == []


async def test_a_link_scored_at_the_threshold_is_applied_to_under_the_same_rules(services, job_site, db):
    await _with_resume(services)
    await db.execute(
        "INSERT INTO user_settings (user_id, auto_apply_threshold, paused) VALUES ($1, 0, true)", ALLOWED_USER
    )
    take = {**_rules(services), "allow_hosts": services.settings.url_allow_hosts}

    paused = await workflow.take_link(job_site.posting_url, ALLOWED_USER, **take)
    assert paused.outcome is LinkOutcome.NEW and paused.auto_apply_threshold == 0
    assert paused.auto_apply is not None and paused.auto_apply.outcome is Outcome.PAUSED
    assert await _status(db, paused.application.id) == "awaiting_approval"

    await workflow.set_paused(ALLOWED_USER, False, user_settings=services.user_settings)
    applied = await workflow.take_link(f"{job_site.posting_url}?again=1", ALLOWED_USER, **take)
    assert applied.auto_apply is not None and applied.auto_apply.outcome is Outcome.QUEUED
    assert await _status(db, applied.application.id) == "queued"
    assert [job.split(":")[:2] for job in await _queued(services)] == [["apply", str(applied.application.id)]]
