"""The daily digest: at each user's time in their zone (DST included), exactly once through the outbox,
retried after 502 / 429 / timeouts until the day is over, shared by two schedulers, resumed after a
restart mid-fan-out; photo and caption through the fake Bot API; a quiet day by the user's setting."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.digest_chart import ChartRenderer
from bot.sending import install_sender
from handlers.digest import TelegramDigestChannel, visible_length
from scheduler.digest import DigestFanOut, write_due
from storage.applications import ApplicationRepository
from storage.db import create_pool
from storage.digests import DigestRepository
from storage.user_settings import UserSettingsRepository
from storage.users import UserRepository
from tests.support.seed import add_application, add_prompt, add_spending, add_user

UTC = UTC
_charts: ChartRenderer | None = None  # set by the `pool` fixture: the fan-outs built in a test draw with it


class Clock:
    """The time the code under test sees; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest_asyncio.fixture
async def charts():
    renderer = ChartRenderer(processes=1)
    yield renderer
    await renderer.close()


@pytest_asyncio.fixture
async def pool(database_url: str, charts: ChartRenderer):
    """A pool with the JSON codecs; the fan-outs built in the test draw with `charts`."""
    global _charts
    _charts = charts
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


def sending_bot(fake_telegram, *, timeout: float = 60.0, rate: float = 1000) -> Bot:
    """A bot as the app makes one (pacing middleware included), failing fast: no retries inside the sender,
    so every failure reaches the outbox."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_telegram.base_url), timeout=timeout)
    bot = Bot(fake_telegram.token, session=session)
    install_sender(bot, max_retries=0, global_rate=rate, backoff_base=0.01)
    return bot


def fan_out(pool, bot: Bot, clock: Clock, **options) -> DigestFanOut:
    assert _charts is not None, "the `pool` fixture sets the chart renderer"
    channel = TelegramDigestChannel(bot, UserRepository(pool), _charts)
    return DigestFanOut(DigestRepository(pool), UserSettingsRepository(pool), channel, clock=clock, **options)


def photos(fake_telegram, chat_id: int | None = None) -> list:
    return [m for m in fake_telegram.messages(chat_id) if m.photo]


async def busy_user(pool, user_id: int, now: datetime, **settings) -> None:
    """A user with something to show: one submission yesterday, one job waiting."""
    await add_user(pool, user_id, **settings)
    await add_application(pool, user_id, 1, "submitted", at=now - timedelta(hours=20))
    await add_application(pool, user_id, 2, "awaiting_approval", score=85)


# --------------------------------------------------------------------------- time zones


async def scheduled(db, user_id: int) -> list:
    return await db.fetch(
        "SELECT local_date, expires_at FROM digests WHERE user_id = $1 AND kind = 'scheduled' ORDER BY local_date",
        user_id,
    )


async def test_each_user_gets_the_digest_at_their_local_time_across_dst_changes(pool, db):
    digests = DigestRepository(pool)
    # Berlin at 02:30 on the nights the clocks change: 29 March 02:00 → 03:00 (02:30 never happens),
    # 25 October 03:00 → 02:00 (02:30 happens twice). New York at 08:00 (EST until 8 March, then EDT),
    # Kolkata at 09:00 (no DST, UTC+05:30).
    await add_user(pool, 1, time_zone="Europe/Berlin", at=time(2, 30))
    await add_user(pool, 2, time_zone="America/New_York", at=time(8, 0))
    await add_user(pool, 3, time_zone="Asia/Kolkata", at=time(9, 0))

    async def dates(user_id: int) -> list[date]:
        return [r["local_date"] for r in await scheduled(db, user_id)]

    async def at(month: int, day: int, hour: int, minute: int) -> None:
        await write_due(digests, datetime(2026, month, day, hour, minute, tzinfo=UTC))

    await at(3, 1, 12, 59)  # 07:59 EST in New York
    assert await dates(2) == []
    assert await dates(1) == [date(2026, 3, 1)] and await dates(3) == [date(2026, 3, 1)]
    await at(3, 1, 13, 0)  # 08:00 EST
    assert await dates(2) == [date(2026, 3, 1)]

    await at(3, 29, 0, 59)  # 01:59 CET in Berlin
    assert await dates(1) == [date(2026, 3, 1)]
    await at(3, 29, 1, 0)  # 03:00 CEST: the 02:30 that never happened is past
    assert await dates(1) == [date(2026, 3, 1), date(2026, 3, 29)]
    [spring] = [r for r in await scheduled(db, 1) if r["local_date"] == date(2026, 3, 29)]
    assert spring["expires_at"] == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # a 23-hour day ends at 00:00 CEST
    claimed = await digests.claim(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 10, timedelta(minutes=5))
    assert (1, date(2026, 3, 29)) in {(c.user_id, c.local_date) for c in claimed}  # due at once

    await at(3, 29, 3, 29)  # 08:59 in Kolkata
    assert await dates(3) == [date(2026, 3, 1)]
    await at(3, 29, 3, 30)
    assert await dates(3) == [date(2026, 3, 1), date(2026, 3, 29)]

    await at(3, 29, 11, 59)  # 07:59 EDT: an hour earlier in UTC than in February
    assert date(2026, 3, 29) not in await dates(2)
    await at(3, 29, 12, 0)
    assert date(2026, 3, 29) in await dates(2)

    await at(10, 25, 0, 30)  # 02:30 CEST
    await at(10, 25, 1, 30)  # 02:30 CET, the same wall time an hour later: not a second digest
    autumn = [r for r in await scheduled(db, 1) if r["local_date"] == date(2026, 10, 25)]
    assert len(autumn) == 1
    assert autumn[0]["expires_at"] == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # a 25-hour day


# --------------------------------------------------------------------------- failures and retries


async def fail_once(fake_telegram, failure: str) -> None:
    if failure == "502":
        fake_telegram.fail_next("sendPhoto", 502, "Bad Gateway")
    elif failure == "429":
        fake_telegram.fail_next("sendPhoto", 429, "Too Many Requests: retry after 5", retry_after=5)
    else:
        fake_telegram.stall_next("sendPhoto")  # no answer: the bot's request times out


@pytest.mark.parametrize("failure", ["502", "429", "timeout"])
async def test_a_failed_send_is_retried_later_and_arrives_once(failure, pool, db, fake_telegram):
    clock = Clock(datetime(2026, 12, 3, 9, 0, 30, tzinfo=UTC))
    await busy_user(pool, 7, clock.now)
    fake_telegram.user(7)
    bot = sending_bot(fake_telegram, timeout=1.0 if failure == "timeout" else 60.0)
    digests = fan_out(pool, bot, clock)
    try:
        await fail_once(fake_telegram, failure)
        first = await digests.run()
        assert (first.sent, first.retrying) == (0, 1)
        assert photos(fake_telegram) == []
        row = await db.fetchrow("SELECT status, attempts, last_error FROM digests WHERE user_id = 7")
        assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"]

        clock.advance(seconds=30)  # the first retry waits a minute
        assert (await digests.run()).sent == 0
        clock.advance(seconds=31)
        assert (await digests.run()).sent == 1
        clock.advance(minutes=10)
        assert (await digests.run()).sent == 0
    finally:
        await bot.session.close()
    [digest] = photos(fake_telegram, 7)
    assert "Your digest" in digest.caption and digest.button("Apply #")
    row = await db.fetchrow("SELECT status, attempts, message_ids FROM digests WHERE user_id = 7")
    assert row["status"] == "sent" and row["attempts"] == 2 and row["message_ids"] == [digest.message_id]


async def test_a_digest_that_cannot_be_sent_before_the_day_ends_is_dropped(pool, db, fake_telegram):
    clock = Clock(datetime(2026, 12, 3, 23, 58, tzinfo=UTC))
    await busy_user(pool, 7, clock.now, at=time(23, 50))
    fake_telegram.user(7)
    bot = sending_bot(fake_telegram)
    digests = fan_out(pool, bot, clock)
    try:
        for _ in range(3):
            fake_telegram.fail_next("sendPhoto", 502, "Bad Gateway")
        assert (await digests.run()).retrying == 1
        clock.advance(minutes=1, seconds=1)
        assert (await digests.run()).retrying == 1  # 23:59: failed again, next try at 00:01
        clock.advance(minutes=2)
        report = await digests.run()  # the 3rd of December is over there
        assert (report.expired, report.sent) == (1, 0)
    finally:
        await bot.session.close()
    assert photos(fake_telegram) == []
    assert await db.fetchval("SELECT status FROM digests WHERE user_id = 7 AND local_date = '2026-12-03'") == "expired"


# --------------------------------------------------------------------------- two processes, restarts


async def test_two_schedulers_on_one_database_send_each_digest_once(database_url, pool, fake_telegram):
    clock = Clock(datetime(2026, 12, 3, 9, 5, tzinfo=UTC))
    users = range(100, 140)
    for user_id in users:
        await busy_user(pool, user_id, clock.now)
        fake_telegram.user(user_id)
    other_pool = await create_pool(database_url)  # the second process: its own pool and bot
    bots = [sending_bot(fake_telegram), sending_bot(fake_telegram)]
    try:
        first, second = await asyncio.gather(
            fan_out(pool, bots[0], clock, batch=5, concurrency=4).run(),
            fan_out(other_pool, bots[1], clock, batch=5, concurrency=4).run(),
        )
    finally:
        for bot in bots:
            await bot.session.close()
        await other_pool.close()
    assert first.sent + second.sent == len(users)
    assert first.written + second.written == len(users)
    assert Counter(m.chat_id for m in photos(fake_telegram)) == dict.fromkeys(users, 1)


async def test_a_restart_in_the_middle_of_a_fan_out_loses_and_repeats_nothing(database_url, pool, db, fake_telegram):
    clock = Clock(datetime(2026, 12, 3, 9, 5, tzinfo=UTC))
    users = range(200, 220)
    for user_id in users:
        await busy_user(pool, user_id, clock.now)
        fake_telegram.user(user_id)
    crashing_bot = sending_bot(fake_telegram, rate=10)  # slow enough that most rows are still to go at the crash
    crashing = asyncio.create_task(fan_out(pool, crashing_bot, clock, batch=20, concurrency=4).run())
    await fake_telegram.wait_for_message(lambda m: len(photos(fake_telegram)) >= 8)
    fake_telegram.stall_next("sendPhoto", times=1000)  # Telegram stops answering, then the process dies
    await fake_telegram.wait_stalled(4)
    crashing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await crashing
    await crashing_bot.session.close()
    await fake_telegram.release_stalls()
    delivered = len(photos(fake_telegram))
    assert await db.fetchval("SELECT count(*) FROM digests WHERE status = 'sent'") == delivered

    restarted_pool = await create_pool(database_url)
    bot = sending_bot(fake_telegram)
    try:
        # Rows the dead process never started go out at once; the four it was sending wait out their lease.
        soon = await fan_out(restarted_pool, bot, clock).run()
        assert soon.sent == len(users) - delivered - 4
        clock.advance(minutes=5, seconds=1)
        later = await fan_out(restarted_pool, bot, clock).run()
        assert later.sent == 4
    finally:
        await bot.session.close()
        await restarted_pool.close()
    assert Counter(m.chat_id for m in photos(fake_telegram)) == dict.fromkeys(users, 1)


# --------------------------------------------------------------------------- what arrives


async def test_the_chart_and_text_arrive_as_one_photo_with_caption_or_as_photo_then_text(pool, db, fake_telegram):
    clock = Clock(datetime(2026, 12, 3, 9, 5, tzinfo=UTC))
    await busy_user(pool, 7, clock.now)
    await add_spending(pool, 7, 1234, clock.now - timedelta(hours=2))
    await add_spending(pool, 7, 4000, clock.now - timedelta(days=3))
    # Lots waiting for user 8: the text no longer fits a caption.
    await add_user(pool, 8)
    waiting = [
        await add_application(
            pool, 8, n, "awaiting_approval", score=66 + n, title=f"Staff Platform Engineer, Payments Infrastructure {n}"
        )
        for n in range(1, 7)
    ]
    failed = [
        await add_application(
            pool,
            8,
            n,
            "failed",
            at=clock.now - timedelta(hours=n),
            title=f"Senior Site Reliability Engineer {n}",
            error="The form said the e-mail address is already registered; sign in first",
        )
        for n in range(7, 13)
    ]
    review_app = await add_application(pool, 8, 13, "waiting_user", title="Backend Developer")
    await add_prompt(pool, 8, review_app, "review", html="🙋 <b>Review before submitting</b>")
    for user_id in (7, 8):
        fake_telegram.user(user_id)
    bot = sending_bot(fake_telegram)
    try:
        assert (await fan_out(pool, bot, clock).run()).sent == 2
    finally:
        await bot.session.close()

    [short] = fake_telegram.messages(7)
    assert short.photo[:8] == b"\x89PNG\r\n\x1a\n" and "Your digest" in short.caption
    assert "Last 24 h: 1 submitted · 0 skipped · 0 failed" in short.caption
    assert "LLM tokens: 1,234 today · 5,234 in 7 days" in short.caption
    assert "money and CAPTCHA costs are not recorded yet" in short.caption
    assert [b.text for b in short.buttons()] == ["Apply #2", "Skip #2"]  # one strong match: no "Apply all"

    chart, text = fake_telegram.messages(8)
    assert chart.photo and "Your last 7 days" in chart.caption and not chart.buttons()
    assert visible_length(text.text) > 1024 and "Your digest" in text.text
    assert f"#{failed[0]} Senior Site Reliability Engineer" in text.text and "already registered" in text.text
    labels = [b.text for b in text.buttons()]
    assert labels[0] == "✅ Apply all ≥ 70 (3)"  # scores 70, 71, 72
    best = waiting[-1]  # listed by score, best first; the weakest is left to /jobs
    assert labels[1:3] == [f"Apply #{best}", f"Skip #{best}"] and f"Apply #{waiting[0]}" not in labels
    assert f"Open review #{review_app}" in labels and f"🔁 Retry #{failed[0]}" in labels
    assert "… and 1 more in /jobs" in text.text


async def test_a_quiet_day_is_one_line_or_nothing_by_the_users_setting(pool, db, fake_telegram):
    clock = Clock(datetime(2026, 12, 3, 9, 5, tzinfo=UTC))
    await add_user(pool, 7, quiet="line")
    await add_user(pool, 8, quiet="none")
    for user_id in (7, 8):
        fake_telegram.user(user_id)
    bot = sending_bot(fake_telegram)
    try:
        report = await fan_out(pool, bot, clock).run()
    finally:
        await bot.session.close()
    assert (report.sent, report.quiet) == (1, 1)
    [line] = fake_telegram.messages(7)
    assert "a quiet day, nothing new and nothing waiting" in line.text and not line.photo
    assert fake_telegram.messages(8) == []
    assert await db.fetchval("SELECT status FROM digests WHERE user_id = 8") == "quiet"


async def test_llm_tokens_counted_on_an_application_show_in_that_days_cost(pool):
    await add_user(pool, 7)
    app_id = await add_application(pool, 7, 1, "running")
    await ApplicationRepository(pool).add_llm_usage(app_id, calls=2, tokens=1500)
    now = datetime.now(UTC)
    digest = await DigestRepository(pool).compose(7, now.date(), ZoneInfo("UTC"), now, apply_all_threshold=70)
    assert (digest.spend.tokens_day, digest.spend.tokens_week, digest.spend.money_week) == (1500, 1500, None)
