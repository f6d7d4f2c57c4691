"""Nobody answers, the process restarts, the worker dies: the application is never forgotten."""

from __future__ import annotations

import pytest

from bot.app import NyxApp, Roles, Services
from scheduler.jobs import expire_prompts, reconcile
from tests.support import ALLOWED_USER
from tests.support.chat import WAIT, open_review

pytestmark = pytest.mark.browser


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"review_timeout_minutes": 0.05}  # three seconds


async def test_unanswered_review_times_out_and_can_be_retried(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    card, review = await open_review(fake_telegram, user, job_site)
    submit_data = review.button("Submit").callback_data
    timed_out = await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "timed out" in m.body, timeout=WAIT
    )
    assert [b.text for b in timed_out.buttons()] == ["Retry", "Details"]
    assert review.buttons() == [] and "expired" in review.body  # messages are live: this is its state now
    answer = await user.tap_data(review, submit_data)
    assert "closed" in answer.text
    assert job_site.submissions == []
    assert await db.fetchval("SELECT status FROM prompts") == "expired"
    assert await db.fetchval("SELECT count(*) FROM browser_sessions WHERE ended_at IS NULL") == 0

    await user.tap(timed_out, "Retry")
    second_review = await fake_telegram.wait_for_message(
        lambda m: (
            m.chat_id == user.chat_id and "Review before submitting" in m.body and m.message_id != review.message_id
        ),
        timeout=WAIT,
    )
    assert {b.text for b in second_review.buttons()} == {"Submit", "Cancel", "✏️ Fix a field"}


async def test_restart_during_review_keeps_it_and_its_submit_still_works(
    settings, fake_telegram, job_site, db, xvfb_display
):
    # The worker holds the review (PARK_AFTER_MINUTES not over) when the process stops: it parks it.
    settings = settings.model_copy(update={"review_timeout_minutes": 30})
    services = await Services.connect(settings)
    app = NyxApp(services, Roles())
    await app.start()
    user = fake_telegram.user(ALLOWED_USER)
    try:
        card, review = await open_review(fake_telegram, user, job_site)
        assert await db.fetchval("SELECT parked_at FROM prompts") is None, "held by the worker, not parked yet"
    finally:
        await app.stop()
        await services.close()
    assert await db.fetchval("SELECT status FROM applications") == "waiting_user"
    assert await db.fetchval("SELECT parked_at FROM prompts WHERE status = 'pending'") is not None
    assert {b.text for b in review.buttons()} == {"Submit", "Cancel", "✏️ Fix a field"}, "the review stays open"

    services = await Services.connect(settings)
    app = NyxApp(services, Roles())
    await app.start()
    try:
        answer = await user.tap(review, "Submit")
        assert answer.text == "Approved."
        await job_site.wait_for_submission(timeout=WAIT)
        await fake_telegram.wait_for_message(
            lambda m: m.message_id == card.message_id and "✅ submitted" in m.body, timeout=WAIT
        )
    finally:
        await app.stop()
        await services.close()
    assert len(job_site.submissions) == 1
    notes = [tuple(r) for r in await db.fetch("SELECT to_status, note FROM application_events ORDER BY id")]
    trail = [status for status, _ in notes]
    assert trail.count("queued") == 1 and trail[-1] == "submitted", "\n".join(map(str, notes))
    assert ("running", "review answered; filling the form again") in notes


async def test_answer_to_a_dead_workers_prompt_is_carried_out(nyx, fake_telegram, db):
    """The worker holding a prompt died (no heartbeat) and the user answered meanwhile: reconcile parks the
    prompt and queues the resume instead of failing the application."""
    user = fake_telegram.user(ALLOWED_USER)
    await user.send("http://127.0.0.1:9/acme/jobs/1")
    await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and m.buttons())
    app_id = await db.fetchval("SELECT id FROM applications")
    await db.execute(
        "UPDATE applications SET status = 'waiting_user', updated_at = now() - interval '1 hour' WHERE id = $1", app_id
    )
    await db.execute(
        "INSERT INTO browser_sessions (application_id, worker, heartbeat_at) VALUES ($1, 'gone', now() - interval '1 hour')",
        app_id,
    )
    prompt_id = await db.fetchval(
        """INSERT INTO prompts (application_id, user_id, kind, status, answer, expires_at, answered_at)
           VALUES ($1, $2, 'review', 'answered', '{"decision": "cancel"}', now() + interval '1 day', now()) RETURNING id""",
        app_id,
        ALLOWED_USER,
    )
    await reconcile(nyx.scheduler_deps())
    assert await db.fetchval("SELECT parked_at FROM prompts WHERE id = $1", prompt_id) is not None
    # The resume job carries out the answer (here a cancel, which needs no browser).
    await fake_telegram.wait_for_message(lambda m: f"#{app_id}" in m.body and "cancelled" in m.body, timeout=WAIT)
    assert await db.fetchval("SELECT status FROM applications") == "cancelled"


async def test_reconcile_marks_work_of_a_dead_worker_failed(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await user.send("http://127.0.0.1:9/acme/jobs/1")
    card = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and m.buttons())
    app_id = await db.fetchval("SELECT id FROM applications")
    # A worker took it, began submitting and died without a word: its session's heartbeat is long gone.
    # (Had it not begun submitting, the application would be queued again: tests/scheduler/test_reconcile.py.)
    await db.execute(
        """UPDATE applications SET status = 'running', submit_started_at = now() - interval '1 hour',
           updated_at = now() - interval '1 hour' WHERE id = $1""",
        app_id,
    )
    await db.execute(
        "INSERT INTO browser_sessions (application_id, worker, heartbeat_at) VALUES ($1, 'gone', now() - interval '1 hour')",
        app_id,
    )
    await reconcile(nyx.scheduler_deps())
    failed = await fake_telegram.wait_for_message(lambda m: m.message_id == card.message_id and "failed" in m.body)
    assert "worker stopped while submitting" in failed.body and "check your e-mail" in failed.body
    assert [b.text for b in failed.buttons()] == ["Details"]  # no Retry: the form may have been sent
    assert await db.fetchval("SELECT status FROM applications") == "failed"


async def test_a_parked_review_is_left_waiting_by_reconcile_and_timed_out_when_it_expires(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await user.send("http://127.0.0.1:9/acme/jobs/1")
    card = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and m.buttons())
    app_id = await db.fetchval("SELECT id FROM applications")
    # Parked an hour ago: no browser session at all, the prompt waits in the database alone.
    await db.execute(
        "UPDATE applications SET status = 'waiting_user', updated_at = now() - interval '1 hour' WHERE id = $1", app_id
    )
    prompt_id = await db.fetchval(
        """INSERT INTO prompts (application_id, user_id, kind, expires_at, parked_at)
           VALUES ($1, $2, 'review', now() + interval '1 day', now() - interval '1 hour') RETURNING id""",
        app_id,
        ALLOWED_USER,
    )
    await reconcile(nyx.scheduler_deps())
    assert await db.fetchval("SELECT status FROM applications") == "waiting_user", "parked is a normal state"
    assert await db.fetchval("SELECT status FROM prompts") == "pending"

    await db.execute("UPDATE prompts SET expires_at = now() - interval '1 second' WHERE id = $1", prompt_id)
    assert await expire_prompts(nyx.scheduler_deps()) == 1
    timed_out = await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "timed out" in m.body, timeout=WAIT
    )
    assert [b.text for b in timed_out.buttons()] == ["Retry", "Details"]
    assert await db.fetchval("SELECT status FROM applications") == "timed_out"
