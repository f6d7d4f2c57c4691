"""End to end through the fake Bot API: forward a job, Apply, review, Submit, and the real form POST."""

from __future__ import annotations

import pytest

from tests.fakes import job_site as job_site_module
from tests.support import ALLOWED_USER, STRANGER
from tests.support.chat import RESUME, WAIT, card_for, open_review

pytestmark = pytest.mark.browser


async def status_of(db, app_id: int) -> str:
    return await db.fetchval("SELECT status FROM applications WHERE id = $1", app_id)


async def test_forwarded_job_is_reviewed_and_submitted(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    card, review = await open_review(fake_telegram, user, job_site)
    # The card was titled from the posting's JSON-LD before Apply was tapped.
    assert f"{job_site_module.TITLE}\n{job_site_module.COMPANY}" in card.body

    photos = [m for m in fake_telegram.messages(user.chat_id) if m.photo]
    assert photos and photos[-1].photo.startswith(b"\x89PNG"), "the review comes with a screenshot"
    for value in ("Ada", "Lovelace", "ada@example.org", "+44 20 7946 0000", "ada-lovelace.pdf"):
        assert value in review.body
    assert {b.text for b in review.buttons()} == {"Submit", "Cancel", "✏️ Fix a field"}
    assert job_site.submissions == [], "nothing is sent before approval"

    await user.tap(review, "Submit")
    submission = await job_site.wait_for_submission(timeout=WAIT)
    assert submission.fields["first_name"] == "Ada"
    assert submission.fields["last_name"] == "Lovelace"
    assert submission.fields["email"] == "ada@example.org"
    assert submission.fields["phone"] == "+44 20 7946 0000"
    filename, content = submission.files["resume"]
    assert content == RESUME and filename == "ada-lovelace.pdf"

    final_card = await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
    )
    assert [b.text for b in final_card.buttons()] == ["Details"], "nothing left to decide"
    app = await db.fetchrow("SELECT id, status, outcome, submitted_at FROM applications")
    assert app["status"] == "submitted" and app["outcome"] == "confirmed" and app["submitted_at"]
    trail = [
        r["to_status"]
        for r in await db.fetch(
            "SELECT to_status FROM application_events WHERE application_id = $1 ORDER BY id", app["id"]
        )
    ]
    assert trail == [
        "received",
        "scored",
        "awaiting_approval",
        "queued",
        "running",
        "waiting_user",
        "running",
        "submitted",
    ]
    review_now = next(m for m in fake_telegram.messages(user.chat_id) if m.message_id == review.message_id)
    assert review_now.buttons() == [] and "Approved" in review_now.body

    await user.tap(final_card, "Details")
    details = await fake_telegram.wait_for_message(lambda m: "Timeline" in m.body)
    assert "Values in the form" in details.body and "ada@example.org" in details.body
    shot = next(m for m in fake_telegram.messages(user.chat_id) if m.document_name == f"application-{app['id']}.png")
    assert shot.document.startswith(b"\x89PNG")


async def test_cancel_at_review_submits_nothing(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    card, review = await open_review(fake_telegram, user, job_site)
    answer = await user.tap(review, "Cancel")
    assert "Cancelled" in answer.text
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "cancelled" in m.body, timeout=WAIT
    )
    assert job_site.submissions == []
    assert await db.fetchval("SELECT status FROM applications") == "cancelled"
    assert await db.fetchval("SELECT count(*) FROM browser_sessions WHERE ended_at IS NULL") == 0


async def test_double_tap_on_submit_submits_once(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    card, review = await open_review(fake_telegram, user, job_site)
    submit_data = review.button("Submit").callback_data
    first = await user.tap(review, "Submit")
    second = await user.tap_data(review, submit_data)
    assert "Approved" in first.text and "Already answered" in second.text
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
    )
    assert len(job_site.submissions) == 1
    assert await db.fetchval("SELECT count(*) FROM prompts WHERE status = 'answered'") == 1


async def test_same_link_twice_is_one_application(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await user.send(job_site.posting_url)
    await card_for(fake_telegram, user, job_site.posting_url)
    await user.send(f"again: {job_site.posting_url}?utm_campaign=spring&ref=board#apply")
    reply = await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and "You sent this job before" in m.body
    )
    assert "waiting for your decision" in reply.body
    assert await db.fetchval("SELECT count(*) FROM applications") == 1
    assert await db.fetchval("SELECT count(*) FROM jobs") == 1


async def test_stranger_is_refused_and_nothing_is_stored(nyx, fake_telegram, job_site, db):
    stranger = fake_telegram.user(STRANGER, first_name="Eve")
    await stranger.send_command("/start")
    refusal = await fake_telegram.wait_for_message(lambda m: m.chat_id == stranger.chat_id)
    assert "not on its list" in refusal.body
    await stranger.send(job_site.posting_url)
    # The allowed user's round trip proves the stranger's link has been processed (updates are in order).
    friend = fake_telegram.user(ALLOWED_USER)
    await friend.send_command("/help")
    await fake_telegram.wait_for_message(lambda m: m.chat_id == friend.chat_id and "/jobs" in m.body)
    assert len(fake_telegram.messages(stranger.chat_id)) == 1, "one polite refusal, not one per message"
    assert await db.fetchval("SELECT count(*) FROM users WHERE id = $1", STRANGER) == 0
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
    assert await db.fetchval("SELECT count(*) FROM jobs") == 0


async def test_private_address_link_is_refused_before_any_connection(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await user.send("http://169.254.169.254/latest/meta-data/ and file:///etc/passwd")
    reply = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and "169.254" in m.body)
    assert "will not open" in reply.body
    assert await db.fetchval("SELECT count(*) FROM applications") == 0
