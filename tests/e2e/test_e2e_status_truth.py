"""The chat and the database say what is true: a claimed submit cannot be cancelled, a refused submission
comes back to the user, the job timeout covers every wait, PROFILE_FILE seeds once, a returning user is
active again, and the daily cap counts work under way."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest
import yaml
from aiogram.exceptions import TelegramForbiddenError

from automation.apply import MAX_HELD_WAITS
from automation.worker import JOB_OVERHEAD_S, job_timeout
from bot.app import Services, load_profile_from_settings
from tests.support import ALLOWED_USER
from tests.support.chat import PROFILE, RESUME, WAIT, open_review, reply_to, send_links


async def test_cancel_is_refused_once_the_submit_is_claimed(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await send_links(fake_telegram, user, [1])
    # A worker claimed the submit and is clicking it.
    await db.execute("UPDATE applications SET status = 'running', submit_started_at = now() WHERE id = 1")
    reply = await reply_to(fake_telegram, user, "/cancel 1", "#1")
    assert "being sent" in reply.body and "can no longer be cancelled" in reply.body
    assert "Nothing was submitted" not in reply.body
    assert await db.fetchval("SELECT status FROM applications WHERE id = 1") == "running"


async def test_cancel_before_the_claim_wins_and_the_claim_then_fails(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await send_links(fake_telegram, user, [1])
    await db.execute("UPDATE applications SET status = 'running' WHERE id = 1")
    reply = await reply_to(fake_telegram, user, "/cancel 1", "#1")
    assert "cancelled. Nothing was submitted" in reply.body
    assert not await nyx.applications.claim_submission(1), "a cancelled application is never clicked"


@pytest.mark.parametrize("status", ["queued", "running", "waiting_user"])
async def test_daily_cap_counts_applications_under_way(nyx, fake_telegram, db, status):
    user = fake_telegram.user(ALLOWED_USER)
    await send_links(fake_telegram, user, [1, 2])
    await db.execute("UPDATE applications SET status = $1 WHERE id = 1", status)
    await db.execute("INSERT INTO user_settings (user_id, daily_cap) VALUES ($1, 1)", ALLOWED_USER)
    card = next(m for m in fake_telegram.messages(user.chat_id) if "/jobs/2" in m.body and m.buttons())
    answer = await user.tap(card, "Apply")
    assert "cap of 1 application(s) a day" in answer.text
    assert await db.fetchval("SELECT status FROM applications WHERE id = 2") == "awaiting_approval"


async def test_a_user_who_blocked_the_bot_is_active_again_when_they_write(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await reply_to(fake_telegram, user, "/help", "/jobs")
    user.block()
    with pytest.raises(TelegramForbiddenError):
        await nyx.notifier.say(ALLOWED_USER, "a notice they will not get")
    assert await db.fetchval("SELECT active FROM users WHERE id = $1", ALLOWED_USER) is False
    user.blocked = False  # they unblocked the bot and write again
    await reply_to(fake_telegram, user, "/help", "/jobs")
    assert await db.fetchval("SELECT active FROM users WHERE id = $1", ALLOWED_USER) is True


def test_job_timeout_covers_every_wait_of_an_application(apply_deps):
    deps = apply_deps
    # A cover letter, two questions, a CAPTCHA and two reviews, each held to the end of PARK_AFTER_MINUTES.
    held_in_turn = 6 * deps.park_after.total_seconds()
    assert MAX_HELD_WAITS >= 6
    assert job_timeout(deps) >= held_in_turn + JOB_OVERHEAD_S
    longer = dataclasses.replace(deps, park_after=timedelta(minutes=30))
    assert job_timeout(longer) >= 6 * 30 * 60 + JOB_OVERHEAD_S, "derived from the setting"


@pytest.fixture
def apply_deps():
    """The settings' part of the worker's dependencies (the timeout needs no connection)."""
    from automation.apply import ApplyDeps

    return ApplyDeps(
        applications=None,
        browser_sessions=None,
        files=None,
        profiles=None,
        answers=None,
        user_settings=None,
        prompts=None,
        bridge=None,
        notifier=None,
        browser_options=None,
        review_timeout=timedelta(hours=24),
        park_after=timedelta(minutes=3),
    )


async def test_profile_file_seeds_once_then_only_what_the_file_changed(settings, tmp_path, db, caplog):
    resume = tmp_path / "ada.pdf"
    resume.write_bytes(RESUME)
    profile_file = tmp_path / "profile.yaml"
    profile_file.write_text(yaml.safe_dump({**PROFILE, "resume_path": "ada.pdf"}))
    services = await Services.connect(settings.model_copy(update={"profile_file": profile_file}))
    try:
        await load_profile_from_settings(services)
        # The user changes their location in the chat; a restart must not undo it.
        stored = await services.profiles.get(ALLOWED_USER)
        await services.profiles.update_fields(
            ALLOWED_USER, stored.profile.model_copy(update={"location": "Paris, France"}), source="telegram:edit"
        )
        files_before = await db.fetchval("SELECT count(*) FROM files")
        await load_profile_from_settings(services)
        again = await services.profiles.get(ALLOWED_USER)
        assert again.profile.location == "Paris, France"
        assert await db.fetchval("SELECT count(*) FROM files") == files_before, "no new résumé row"

        # The file itself changes one field: only that field changes, and the log says so.
        profile_file.write_text(yaml.safe_dump({**PROFILE, "resume_path": "ada.pdf", "phone": "+44 20 7946 0999"}))
        with caplog.at_level(logging.INFO, logger="storage.profile_import"):
            await load_profile_from_settings(services)
        changed = await services.profiles.get(ALLOWED_USER)
        assert changed.profile.phone == "+44 20 7946 0999"
        assert changed.profile.location == "Paris, France"
        assert await db.fetchval("SELECT count(*) FROM files") == files_before
        assert any("changed: updated phone of user" in r.getMessage() for r in caplog.records)
    finally:
        await services.close()


@pytest.mark.browser
async def test_a_submission_the_page_refused_comes_back_and_can_be_sent_again(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    card, review = await open_review(fake_telegram, user, job_site)
    job_site.refuse_next = {"email": "This e-mail address already applied this week"}
    await user.tap(review, "Submit")
    refused = await fake_telegram.wait_for_message(lambda m: "the form refused the application" in m.body, timeout=WAIT)
    assert "already applied this week" in refused.body and "accepted nothing" in refused.body
    again = await fake_telegram.wait_for_message(
        lambda m: "Review before submitting" in m.body and m.buttons() and m.message_id != review.message_id,
        timeout=WAIT,
    )
    assert job_site.submissions == [] and job_site.rejected_posts == 1
    assert await db.fetchval("SELECT submit_started_at FROM applications") is None, "the claim is released"
    await user.tap(again, "Submit")
    await job_site.wait_for_submission(timeout=WAIT)
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "✅ submitted" in m.body, timeout=WAIT
    )
    assert len(job_site.submissions) == 1
