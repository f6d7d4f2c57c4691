"""The sender (bot/sending.py): a real aiogram Bot, with the sender installed, against the fake Bot API.

Retries, the 429 pause, blocked users, long texts and captions sent as several messages, and
pacing under the fake's flood control (`FakeTelegram(enforce_limits=True)`). How text is cut is
tests/bot/test_splitting.py's.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from itertools import pairwise

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, MessageEntity
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.sending import SendTimeline, install_sender
from bot.splitting import CAPTION_LIMIT, MESSAGE_LIMIT
from tests.fakes.telegram_api import TINY_PNG, FakeTelegram, parse_formatted

USER_ID = 4242
PACE_TOLERANCE = 0.1  # seconds: the fake's own tolerance, as Telegram's limits are "about"


def html_bot(fake: FakeTelegram) -> Bot:
    """A Bot configured as bot.app.make_bot does (HTML by default), pointed at the fake."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(fake.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = html_bot(fake_telegram)
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest_asyncio.fixture
async def limited_telegram() -> AsyncIterator[FakeTelegram]:
    """A fake that answers 429 as Telegram does when the bot exceeds its sending limits."""
    async with FakeTelegram(enforce_limits=True) as fake:
        yield fake


@pytest_asyncio.fixture
async def limited_bot(limited_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = html_bot(limited_telegram)
    try:
        yield bot
    finally:
        await bot.session.close()


def apply_keyboard():
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text="Apply", callback_data="apply:1")
    keyboard.button(text="Skip", callback_data="skip:1")
    return keyboard.as_markup()


# --------------------------------------------------------------------------- errors and retries


async def test_429_pauses_sending_then_the_message_arrives_once(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sender = install_sender(bot)
    fake_telegram.user(USER_ID)
    fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    sent = await bot.send_message(USER_ID, "Applied to <b>Acme</b>")

    assert [m.text for m in fake_telegram.messages(USER_ID)] == ["Applied to Acme"]
    assert sent.text == "Applied to Acme"
    refused, accepted = fake_telegram.calls_of("sendMessage")
    assert refused.error and not accepted.error
    assert accepted.at - refused.at >= 1 - PACE_TOLERANCE  # retry_after was honoured
    assert (sender.rate_limited_pauses, sender.retried, sender.sent) == (1, 1, 1)


async def test_a_429_pauses_sending_to_every_chat(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sender = install_sender(bot, global_rate=5)  # 200 ms apart: the 429 is back before the next send
    chats = [1000 + i for i in range(4)]
    for chat_id in chats:
        fake_telegram.user(chat_id)
    fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    await asyncio.gather(*(bot.send_message(chat_id, f"Job for {chat_id}") for chat_id in chats))

    refused, *accepted = fake_telegram.calls_of("sendMessage")
    assert refused.error and not any(call.error for call in accepted)
    assert min(call.at for call in accepted) >= refused.at + 1 - PACE_TOLERANCE
    assert sorted(m.chat_id for m in fake_telegram.messages()) == chats
    assert sender.rate_limited_pauses == 1


async def test_a_5xx_is_retried(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sender = install_sender(bot, backoff_base=0.01)
    fake_telegram.user(USER_ID)
    fake_telegram.fail_next("sendMessage", 502, "Bad Gateway")

    await bot.send_message(USER_ID, "Scored 82/100")

    assert [m.text for m in fake_telegram.messages(USER_ID)] == ["Scored 82/100"]
    assert len(fake_telegram.calls_of("sendMessage")) == 2
    assert sender.retried == 1


async def test_5xx_retries_are_bounded(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sender = install_sender(bot, max_retries=2, backoff_base=0.01, private_rate=50)  # retries, not pacing
    fake_telegram.user(USER_ID)
    for _ in range(3):
        fake_telegram.fail_next("sendMessage", 500, "Internal Server Error")

    with pytest.raises(TelegramServerError):
        await bot.send_message(USER_ID, "never")

    assert len(fake_telegram.calls_of("sendMessage")) == 3
    assert sender.retried == 2 and sender.sent == 0


async def test_a_400_is_not_retried(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sender = install_sender(bot, backoff_base=0.01)
    fake_telegram.user(USER_ID)

    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER_ID, "Salary < 100k")

    assert len(fake_telegram.calls_of("sendMessage")) == 1
    assert sender.retried == 0


async def test_network_errors_are_retried_then_raised() -> None:
    with socket.socket() as probe:  # a port nothing listens on: every connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = AiohttpSession(api=TelegramAPIServer.from_base(f"http://127.0.0.1:{port}"))
    bot = Bot("123456:TEST-TOKEN", session=session)
    sender = install_sender(bot, max_retries=2, backoff_base=0.01, private_rate=50)
    try:
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(USER_ID, "hello")
    finally:
        await bot.session.close()
    assert sender.retried == 2


async def test_a_blocked_user_is_reported_once_and_the_error_raised(fake_telegram: FakeTelegram, bot: Bot) -> None:
    blocked: list[int | str] = []

    async def on_blocked(chat_id: int | str) -> None:
        blocked.append(chat_id)

    install_sender(bot, on_blocked=on_blocked)
    fake_telegram.user(USER_ID).block()

    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(USER_ID, "Your application was sent")

    assert blocked == [USER_ID]
    assert len(fake_telegram.calls_of("sendMessage")) == 1


async def test_calls_that_are_not_sends_pass_through_untouched(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sender = install_sender(bot, backoff_base=0.01)
    fake_telegram.fail_next("getMe", 502, "Bad Gateway")

    with pytest.raises(TelegramServerError):
        await bot.get_me()
    me = await bot.get_me()

    assert me.username == "nyx_test_bot"
    assert (sender.sent, sender.retried) == (0, 0)


# --------------------------------------------------------------------------- splitting long sends


def long_html_post(paragraphs: int = 50) -> str:
    """About 100 visible characters a paragraph, formatted, with character references."""
    return "\n\n".join(
        f"<b>Question {i:02d}</b>: are you <i>comfortable</i> with R&amp;D on-call? "
        f'See <a href="https://acme.io/jobs/{i}">the team page</a> for details.'
        for i in range(paragraphs)
    )


async def test_a_long_html_message_arrives_as_two_with_the_buttons_on_the_last(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    install_sender(bot)
    fake_telegram.user(USER_ID)
    source = long_html_post()
    visible, _ = parse_formatted(source, "HTML")
    assert MESSAGE_LIMIT < len(visible) < 2 * MESSAGE_LIMIT

    sent = await bot.send_message(USER_ID, source, reply_markup=apply_keyboard())

    first, last = fake_telegram.messages(USER_ID)
    assert "\n\n".join([first.text or "", last.text or ""]) == visible  # cut between paragraphs
    assert first.buttons() == []
    assert [b.text for b in last.buttons()] == ["Apply", "Skip"]
    assert sent.message_id == last.message_id
    bold = [e for m in (first, last) for e in m.entities if e["type"] == "bold"]
    links = [e for m in (first, last) for e in m.entities if e["type"] == "text_link"]
    assert len(bold) == len(links) == 50


async def test_formatting_cut_in_the_middle_is_closed_and_reopened(fake_telegram: FakeTelegram, bot: Bot) -> None:
    install_sender(bot)
    fake_telegram.user(USER_ID)
    words = " ".join(f"word{i}" for i in range(1000))  # about 6,900 characters, one bold span

    await bot.send_message(USER_ID, f"<b>{words}</b>")

    first, last = fake_telegram.messages(USER_ID)
    assert f"{first.text} {last.text}" == words
    for message in (first, last):
        assert [(e["type"], e["offset"], e["length"]) for e in message.entities] == [
            ("bold", 0, len(message.text or ""))
        ]


async def test_long_text_with_explicit_entities_keeps_them(fake_telegram: FakeTelegram, bot: Bot) -> None:
    install_sender(bot)
    fake_telegram.user(USER_ID)
    text = "Summary\n" + "\n".join(f"line {i} of the answers" for i in range(300))

    await bot.send_message(USER_ID, text, parse_mode=None, entities=[MessageEntity(type="bold", offset=0, length=7)])

    first, last = fake_telegram.messages(USER_ID)
    assert f"{first.text}\n{last.text}" == text
    assert [(e["type"], e["offset"], e["length"]) for e in first.entities] == [("bold", 0, 7)]


async def test_a_long_caption_continues_in_a_text_message(fake_telegram: FakeTelegram, bot: Bot) -> None:
    install_sender(bot)
    fake_telegram.user(USER_ID)
    caption = "<b>#7 the filled form</b> " + " ".join(f"field{i}=value" for i in range(120))
    visible, _ = parse_formatted(caption, "HTML")
    assert len(visible) > CAPTION_LIMIT

    sent = await bot.send_photo(
        USER_ID, BufferedInputFile(TINY_PNG, "form.png"), caption=caption, reply_markup=apply_keyboard()
    )

    photo, text = fake_telegram.messages(USER_ID)
    assert photo.photo == TINY_PNG and len(photo.caption or "") <= CAPTION_LIMIT
    assert f"{photo.caption} {text.text}" == visible
    assert photo.buttons() == [] and [b.text for b in text.buttons()] == ["Apply", "Skip"]
    assert sent.message_id == text.message_id


# --------------------------------------------------------------------------- pacing


async def test_the_fake_refuses_a_bot_without_the_sender(limited_telegram: FakeTelegram, limited_bot: Bot) -> None:
    limited_telegram.user(USER_ID)
    await limited_bot.send_message(USER_ID, "one")

    with pytest.raises(TelegramRetryAfter):
        await limited_bot.send_message(USER_ID, "two")


async def test_a_burst_to_60_chats_gets_no_429(limited_telegram: FakeTelegram, limited_bot: Bot) -> None:
    sender = install_sender(limited_bot)
    chats = [1000 + i for i in range(60)]
    for chat_id in chats:
        limited_telegram.user(chat_id)

    await asyncio.gather(*(limited_bot.send_message(chat_id, f"Job #{chat_id}") for chat_id in chats))

    assert [call.error for call in limited_telegram.calls if call.error] == []
    assert sorted(m.chat_id for m in limited_telegram.messages()) == chats
    assert sender.rate_limited_pauses == 0 and sender.sent == 60


async def test_sends_to_one_private_chat_are_spaced_and_in_order(
    limited_telegram: FakeTelegram, limited_bot: Bot
) -> None:
    sender = install_sender(limited_bot)
    limited_telegram.user(USER_ID)

    await asyncio.gather(*(limited_bot.send_message(USER_ID, f"update {i}") for i in range(5)))

    assert [m.text for m in limited_telegram.messages(USER_ID)] == [f"update {i}" for i in range(5)]
    arrivals = [call.at for call in limited_telegram.calls_of("sendMessage")]
    assert len(arrivals) == 5 and sender.rate_limited_pauses == 0
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert min(gaps) >= 1 - PACE_TOLERANCE, gaps


async def test_memory_stays_flat_chats_beyond_the_bound_are_forgotten(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sender = install_sender(bot, max_chats=3)
    for chat_id in range(1, 11):
        fake_telegram.user(chat_id)
        await bot.send_message(chat_id, "Daily digest: nothing new")

    assert sender.sent == 10 and sender.chats_tracked == 3


class BusyLoopClock:
    """A simulated clock whose every wake-up comes `late` seconds after the time asked for, as a
    busy event loop's does."""

    def __init__(self, late: float) -> None:
        self.now = 0.0
        self.late = late

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.late


async def test_the_overall_pace_makes_up_late_wake_ups_and_never_exceeds_30_in_a_second() -> None:
    clock = BusyLoopClock(late=0.002)  # 2 ms late at every wake-up: 6 % of a 33 ms period
    timeline = SendTimeline(30, clock=clock.time, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(300):
        await timeline.acquire()
        sent.append(clock.now)

    busiest_second = max(sum(1 for t in sent if start <= t < start + 1) for start in sent)
    assert busiest_second <= 30
    # The lateness was made up, not added up: a bucket spacing each send from the last one's real
    # departure would take 299 x 35.3 ms (28.3/s); the strict window costs only 2 ms a second.
    assert 299 / (sent[-1] - sent[0]) >= 29.9


async def test_an_idle_timeline_restarts_at_now_without_a_burst() -> None:
    clock = BusyLoopClock(late=0.0)
    timeline = SendTimeline(30, clock=clock.time, sleep=clock.sleep)
    await timeline.acquire()
    clock.now += 60  # a quiet minute
    first = clock.now
    await timeline.acquire()
    await timeline.acquire()

    assert clock.now - first == pytest.approx(1 / 30)
