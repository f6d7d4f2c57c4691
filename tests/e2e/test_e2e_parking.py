"""Parked prompts end to end: a review nobody answers yet costs no browser, and its answer is carried out
by whichever worker is alive, after a restart too, only once the refilled form reads as approved.

Real path: the fake Bot API, real Chromium on local Greenhouse-style sites, real PostgreSQL and Redis,
one worker slot (MAX_CONCURRENT_BROWSERS=1). PARK_AFTER_MINUTES=0: every prompt parks at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import pytest
import pytest_asyncio

from bot.app import NyxApp, Roles, Services
from tests.fakes.job_site import EXTRA_QUESTION_ID, SPONSORSHIP, SPONSORSHIP_ID, GreenhouseJobSite
from tests.support import ALLOWED_USER
from tests.support.chat import BARE_PROFILE, PROFILE, RESUME, WAIT, card_for, load, load_profile

pytestmark = pytest.mark.browser


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"park_after_minutes": 0, "max_concurrent_browsers": 1}


@pytest_asyncio.fixture
async def sites():
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(GreenhouseJobSite()) for _ in range(3)]


def review_of(app_id: int):
    """A review of that application, still open (messages are live: a closed one loses its buttons)."""
    heading = re.compile(rf"Review before submitting\W*— #{app_id}\b")
    return lambda m: bool(heading.search(m.body)) and bool(m.buttons())


async def apply_to(fake, user, db, url: str) -> int:
    await user.send(url)
    card = await card_for(fake, user, url)
    answer = await user.tap(card, "Apply")
    assert "Queued" in answer.text
    return await db.fetchval("SELECT a.id FROM applications a JOIN jobs j ON j.id = a.job_id WHERE j.url = $1", url)


async def open_browsers(db) -> int:
    return await db.fetchval("SELECT count(*) FROM browser_sessions WHERE ended_at IS NULL")


async def parked(db, app_id: int, timeout: float = WAIT) -> bool:
    """Waits until the application waits for the user with no browser behind it (the worker parks its
    prompt just after sending it); False if that does not happen within `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        row = await db.fetchrow(
            """SELECT a.status, p.parked_at,
                      (SELECT count(*) FROM browser_sessions s WHERE s.application_id = a.id AND s.ended_at IS NULL) AS open
               FROM applications a JOIN prompts p ON p.application_id = a.id
               WHERE a.id = $1 AND p.status = 'pending'""",
            app_id,
        )
        if row is not None and row["status"] == "waiting_user" and row["parked_at"] is not None and not row["open"]:
            return True
        await asyncio.sleep(0.05)  # polling the row: PostgreSQL tells nobody when it changes
    return False


async def test_unanswered_review_does_not_hold_up_the_next_applications(nyx, fake_telegram, sites, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    app_ids = [await apply_to(fake_telegram, user, db, site.posting_url) for site in sites]

    # One browser slot, and the first review left alone: the second and third still come.
    reviews = [await fake_telegram.wait_for_message(review_of(app_id), timeout=WAIT) for app_id in app_ids]
    for app_id in app_ids:
        assert await parked(db, app_id)
    assert all(site.submissions == [] for site in sites), "nothing is sent before approval"

    # Submit on each, last first: each form is opened again, refilled, checked and sent once.
    for site, review in reversed(list(zip(sites, reviews))):
        answer = await user.tap(review, "Submit")
        assert answer.text == "Approved."
        submission = await site.wait_for_submission(timeout=WAIT)
        assert submission.fields["first_name"] == "Ada" and submission.fields["email"] == "ada@example.org"
        assert submission.fields[SPONSORSHIP_ID] == "0"
        assert submission.files["resume"] == ("ada-lovelace.pdf", RESUME)
    for app_id in app_ids:
        await fake_telegram.wait_for_message(
            lambda m, app_id=app_id: re.search(rf"#{app_id}\b", m.body) and "✅ submitted" in m.body, timeout=WAIT
        )
    assert [len(site.submissions) for site in sites] == [1, 1, 1]
    assert await db.fetchval("SELECT count(*) FROM applications WHERE status = 'submitted'") == 3
    assert await open_browsers(db) == 0


async def test_review_answered_after_a_restart_is_submitted_once(settings, fake_telegram, job_site, db, xvfb_display):
    user = fake_telegram.user(ALLOWED_USER)
    services = await Services.connect(settings)
    app = NyxApp(services, Roles())
    await app.start()
    try:
        await load_profile(fake_telegram, user)
        app_id = await apply_to(fake_telegram, user, db, job_site.posting_url)
        review = await fake_telegram.wait_for_message(review_of(app_id), timeout=WAIT)
    finally:
        await app.stop()
        await services.close()
    assert await parked(db, app_id), "the stop keeps the review: it waits in the database"

    services = await Services.connect(settings)
    app = NyxApp(services, Roles())
    await app.start()
    try:
        await user.tap(review, "Submit")
        submission = await job_site.wait_for_submission(timeout=WAIT)
        assert submission.fields["last_name"] == "Lovelace"
        await fake_telegram.wait_for_message(
            lambda m: f"#{app_id}" in m.body and "✅ submitted" in m.body, timeout=WAIT
        )
    finally:
        await app.stop()
        await services.close()
    assert len(job_site.submissions) == 1
    assert await db.fetchval("SELECT status FROM applications") == "submitted"


async def test_page_changed_after_parking_gets_a_fresh_review_and_no_post(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    app_id = await apply_to(fake_telegram, user, db, job_site.posting_url)
    review = await fake_telegram.wait_for_message(review_of(app_id), timeout=WAIT)
    assert await parked(db, app_id)

    job_site.extra_question = "Your pronouns"  # the employer added a required question meanwhile
    await user.tap(review, "Submit")
    notice = await fake_telegram.wait_for_message(
        lambda m: f"#{app_id}: the form changed since your review" in m.body, timeout=WAIT
    )
    assert "Your pronouns" in notice.body and "did not send it" in notice.body
    fresh = await fake_telegram.wait_for_message(
        lambda m: review_of(app_id)(m) and m.message_id != review.message_id, timeout=WAIT
    )
    assert "Your pronouns" in fresh.body
    assert job_site.submissions == [] and job_site.rejected_posts == 0, "no POST at all"
    assert await db.fetchval("SELECT submit_started_at FROM applications") is None

    # The fresh review is a review like any other: fix the new field, then Submit sends it once.
    await user.reply(fresh, "Your pronouns: she/her")
    fixed = await fake_telegram.wait_for_message(
        lambda m: review_of(app_id)(m) and m.message_id not in (review.message_id, fresh.message_id), timeout=WAIT
    )
    assert "she/her" in fixed.body
    await user.tap(fixed, "Submit")
    submission = await job_site.wait_for_submission(timeout=WAIT)
    assert submission.fields[EXTRA_QUESTION_ID] == "she/her"
    assert len(job_site.submissions) == 1


async def test_question_answered_after_parking_goes_on_to_the_review(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load(
        fake_telegram,
        user,
        {**BARE_PROFILE, "answers": {k: v for k, v in PROFILE["answers"].items() if k != SPONSORSHIP}},
    )
    app_id = await apply_to(fake_telegram, user, db, job_site.posting_url)
    question = await fake_telegram.wait_for_message(
        lambda m: "A question from the form" in m.body and SPONSORSHIP in m.body and m.buttons(), timeout=WAIT
    )
    assert await parked(db, app_id)
    await user.tap(question, "No")
    review = await fake_telegram.wait_for_message(review_of(app_id), timeout=WAIT)
    assert SPONSORSHIP in review.body
    await user.tap(review, "Submit")
    submission = await job_site.wait_for_submission(timeout=WAIT)
    assert submission.fields[SPONSORSHIP_ID] == "0"
    assert len(job_site.submissions) == 1
