"""The digest's buttons through the fake Bot API and the real dispatcher: each does what it says, a
stale one changes nothing and says why; /digest and "Count this as today's digest"; the quiet-day setting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest
import pytest_asyncio

from bot.app import NyxApp, Roles, Services
from handlers.digest import TelegramDigestChannel
from scheduler.digest import DigestFanOut
from storage.files import UploadedFile
from storage.models import Profile
from tests.support import ALLOWED_USER
from tests.support.seed import add_application, add_prompt, add_user

UTC = UTC
WAIT = 30


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"digest_check_seconds": 86_400}  # the tests send digests themselves, with their own clock


@pytest_asyncio.fixture
async def nyx_bot(settings) -> AsyncIterator[Services]:
    """The bot and scheduler as `nyx bot` runs them (no worker: queued applications stay queued)."""
    services = await Services.connect(settings)
    app = NyxApp(services, Roles(worker=False))
    await app.start()
    try:
        yield services
    finally:
        await app.stop()
        await services.close()


def fan_out(services: Services, now: datetime | None = None) -> DigestFanOut:
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    channel = TelegramDigestChannel(services.bot, services.users, services.charts)
    return DigestFanOut(services.digests, services.user_settings, channel, clock=clock)


async def ready_to_apply(services: Services) -> None:
    """A user whose digest time has passed whatever the hour, with a profile and résumé (Apply needs them)."""
    await add_user(services.pool, ALLOWED_USER, at=time(0, 0))
    profile = Profile(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    resume = UploadedFile("ada.pdf", "application/pdf", b"%PDF-1.4 a resume")
    await services.profiles.save(ALLOWED_USER, profile, source="test", resume=resume)


async def statuses(db) -> dict[int, str]:
    return {r["id"]: r["status"] for r in await db.fetch("SELECT id, status FROM applications")}


async def newest(fake, user, contains: str, after: set[int]):
    return await fake.wait_for_message(
        lambda m: m.chat_id == user.chat_id and m.message_id not in after and contains in m.body, timeout=WAIT
    )


async def test_each_digest_button_does_what_it_says_and_a_stale_one_changes_nothing(nyx_bot, fake_telegram, db):
    services, pool = nyx_bot, nyx_bot.pool
    await ready_to_apply(services)
    now = datetime.now(UTC)
    strong = await add_application(pool, ALLOWED_USER, 1, "awaiting_approval", score=90, title="Rocket Engineer")
    good = await add_application(pool, ALLOWED_USER, 2, "awaiting_approval", score=80, title="Orbit Planner")
    weak = await add_application(pool, ALLOWED_USER, 3, "awaiting_approval", score=40, title="Tea Taster")
    failed = await add_application(
        pool,
        ALLOWED_USER,
        4,
        "failed",
        at=now - timedelta(hours=3),
        title="Launch Controller",
        error="The worker stopped while applying; tap Retry.",
    )
    reviewing = await add_application(pool, ALLOWED_USER, 5, "waiting_user", title="Flight Software")
    review = await add_prompt(pool, ALLOWED_USER, reviewing, "review", html="🙋 <b>Review before submitting</b> — #5")
    asking = await add_application(pool, ALLOWED_USER, 6, "waiting_user", title="Ground Station")
    question = await add_prompt(pool, ALLOWED_USER, asking, "question", html="🙋 <b>A question from the form</b>")
    await add_application(pool, ALLOWED_USER, 7, "submitted", at=now - timedelta(hours=5))
    user = fake_telegram.user(ALLOWED_USER)

    assert (await fan_out(services).run()).sent == 1
    digest = await fake_telegram.wait_for_message(lambda m: m.photo is not None and "Your digest" in m.body)
    assert "Rocket Engineer — 90/100" in digest.caption and "Launch Controller: The worker stopped" in digest.caption
    assert "review before submitting: Flight Software" in digest.caption
    assert "question: Do you need a visa?" in digest.caption
    data = {b.text: b.callback_data for b in digest.buttons()}  # as shown: kept for the stale taps

    answer = await user.tap(digest, "Apply all ≥ 70 (2)")
    assert answer.text == f"Queued 2: #{strong}, #{good}" and answer.show_alert
    assert (await statuses(db))[strong] == "queued" and (await statuses(db))[good] == "queued"
    assert not any(f"#{strong}" in b.text or "Apply all" in b.text for b in digest.buttons())

    assert (await user.tap(digest, f"Skip #{weak}")).text == f"#{weak}: Skipped."
    assert (await statuses(db))[weak] == "skipped"

    answer = await user.tap(digest, f"Retry #{failed}")
    assert answer.text.startswith(f"#{failed}: Queued")
    assert (await statuses(db))[failed] == "queued"

    before = {m.message_id for m in fake_telegram.messages(user.chat_id)}
    assert "below" in (await user.tap(digest, f"Open review #{reviewing}")).text
    shown = await newest(fake_telegram, user, "Review before submitting", before)
    assert (await user.tap(shown, "Submit")).text == "Approved."
    assert await db.fetchval("SELECT answer->>'decision' FROM prompts WHERE id = $1", review) == "submit"

    before = {m.message_id for m in fake_telegram.messages(user.chat_id)}
    await user.tap(digest, f"Answer #{asking}")
    asked = await newest(fake_telegram, user, "A question from the form", before)
    assert (await user.tap(asked, "No")).text == "Saved: No"
    assert await db.fetchval("SELECT answer->>'value' FROM prompts WHERE id = $1", question) == "No"

    # The same buttons again, as a days-old digest would still show them: nothing moves.
    events = await db.fetchval("SELECT count(*) FROM application_events")
    stale = {
        f"Apply #{strong}": f"#{strong} is queued now; nothing changed.",
        f"Apply #{weak}": f"#{weak} is skipped now; nothing changed.",  # a card's Apply would apply it again
        f"Skip #{weak}": f"#{weak} is skipped now; nothing changed.",
        f"🔁 Retry #{failed}": f"#{failed} is queued now; nothing changed.",
        f"Open review #{reviewing}": "That review before submitting is closed now; nothing to do.",
        "✅ Apply all ≥ 70 (2)": f"Nothing was queued. Already moved on: #{strong}, #{good}.",
    }
    for label, expected in stale.items():
        assert (await user.tap_data(digest, data[label])).text == expected
    assert await db.fetchval("SELECT count(*) FROM application_events") == events
    assert (
        await db.fetchval(
            "SELECT count(*) FROM application_events WHERE application_id = $1 AND to_status = 'queued'", strong
        )
        == 1
    )


async def test_on_demand_digest_counts_as_todays_only_when_the_user_says_so(nyx_bot, fake_telegram, db):
    services = nyx_bot
    await ready_to_apply(services)
    await add_application(services.pool, ALLOWED_USER, 1, "awaiting_approval", score=75)
    user = fake_telegram.user(ALLOWED_USER)

    await user.send_command("/digest")
    first = await fake_telegram.wait_for_message(lambda m: "Your digest" in m.body, timeout=WAIT)
    assert first.button("Count this as today's digest")
    assert (await fan_out(services).run()).sent == 1  # /digest alone does not replace the scheduled one
    assert len([m for m in fake_telegram.messages(user.chat_id) if "Your digest" in m.body]) == 2
    answer = await user.tap(first, "Count this as today's digest")
    assert answer.text == "Today's digest was already sent; nothing changed."


async def test_counting_an_on_demand_digest_as_today_keeps_the_scheduled_one_away(nyx_bot, fake_telegram, db):
    services = nyx_bot
    await ready_to_apply(services)
    user = fake_telegram.user(ALLOWED_USER)

    await user.send_command("/digest")
    quiet = await fake_telegram.wait_for_message(lambda m: "a quiet day" in m.body, timeout=WAIT)
    answer = await user.tap(quiet, "Count this as today's digest")
    assert answer.text == "Done: this is today's digest, no other will come today."
    assert not quiet.buttons()
    assert (await fan_out(services).run()).sent == 0
    assert len(fake_telegram.messages(user.chat_id)) == 1
    row = await db.fetchrow("SELECT status, counted_from FROM digests WHERE kind = 'scheduled'")
    assert row["status"] == "sent" and row["counted_from"] is not None


async def test_the_quiet_day_setting_chooses_between_one_line_and_no_message(nyx_bot, fake_telegram, db):
    services = nyx_bot
    await ready_to_apply(services)
    user = fake_telegram.user(ALLOWED_USER)
    day = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    assert (await fan_out(services, day).run()).sent == 1
    await fake_telegram.wait_for_message(lambda m: "a quiet day" in m.body)

    await user.send_command("/settings")
    view = await fake_telegram.wait_for_message(lambda m: "On a quiet day the digest is: one short line" in m.body)
    await user.tap(view, "Quiet days")
    await fake_telegram.wait_for_message(lambda m: m.message_id == view.message_id and "no message" in m.body)
    report = await fan_out(services, day + timedelta(days=1)).run()
    assert (report.sent, report.quiet) == (0, 1)
    assert len([m for m in fake_telegram.messages(user.chat_id) if "a quiet day, nothing new" in m.body]) == 1
