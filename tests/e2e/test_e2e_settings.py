"""/settings by buttons, the daily cap, and applying without review when chosen."""

from __future__ import annotations

from datetime import time

import pytest

from tests.support import ALLOWED_USER
from tests.support.chat import WAIT, card_for, load_profile, reply_to, send_links


async def edited(fake, message, contains: str):
    return await fake.wait_for_message(lambda m: m.message_id == message.message_id and contains in m.body)


async def test_settings_change_by_buttons_and_digest_time_by_text(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    view = await reply_to(fake_telegram, user, "/settings", "Settings")
    assert "Apply on my own when the match is: off" in view.body and "Review before submitting: on" in view.body

    await user.tap(view, "Auto-apply")
    await edited(fake_telegram, view, "score ≥ 90")
    await user.tap(view, "Review")
    await edited(fake_telegram, view, "forms with no problems are submitted without asking")
    await user.tap(view, "Digest")
    await fake_telegram.wait_for_message(lambda m: "Send the digest time" in m.body)
    assert "not a time" in (await reply_to(fake_telegram, user, "25:00", "Try again")).body
    assert "not a time zone" in (await reply_to(fake_telegram, user, "08:30 Mars/Olympus", "Try again")).body
    saved = await reply_to(fake_telegram, user, "08:30 Europe/Berlin", "Saved")
    assert "Daily digest at 08:30 Europe/Berlin" in saved.body

    row = await db.fetchrow("SELECT * FROM user_settings WHERE user_id = $1", ALLOWED_USER)
    assert row["auto_apply_threshold"] == 90 and row["review_required"] is False
    assert row["digest_time"] == time(8, 30) and row["time_zone"] == "Europe/Berlin"


async def test_daily_cap_stops_new_applications(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    await send_links(fake_telegram, user, [1, 2])
    # One application went out in the last day, and the cap is one.
    await db.execute("UPDATE applications SET status = 'submitted', submitted_at = now() WHERE id = 1")
    await db.execute("INSERT INTO user_settings (user_id, daily_cap) VALUES ($1, 1)", ALLOWED_USER)
    card = next(m for m in fake_telegram.messages(user.chat_id) if "/jobs/2" in m.body and m.buttons())
    answer = await user.tap(card, "Apply")
    assert "cap of 1 application(s) a day" in answer.text
    assert await db.fetchval("SELECT status FROM applications WHERE id = 2") == "awaiting_approval"


@pytest.mark.browser
async def test_with_review_off_a_clean_form_is_submitted_directly(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await db.execute("INSERT INTO users (id, chat_id) VALUES ($1, $1) ON CONFLICT DO NOTHING", ALLOWED_USER)
    await db.execute("INSERT INTO user_settings (user_id, review_required) VALUES ($1, false)", ALLOWED_USER)
    await load_profile(fake_telegram, user)
    await user.send(job_site.posting_url)
    card = await card_for(fake_telegram, user, job_site.posting_url)
    await user.tap(card, "Apply")
    await job_site.wait_for_submission(timeout=WAIT)
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "✅ submitted" in m.body, timeout=WAIT
    )
    assert not any("Review before submitting" in m.body for m in fake_telegram.messages(user.chat_id))
    assert await db.fetchval("SELECT count(*) FROM prompts") == 0
