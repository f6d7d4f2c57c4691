"""Tests of the fake Telegram Bot API server, driven by a real aiogram Bot and Dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message, MessageOriginChannel
from aiogram.utils.keyboard import InlineKeyboardBuilder

from tests.fakes.telegram_api import TINY_PNG, CallbackAnswer, FakeTelegram

USER_ID = 4242


class Pick(CallbackData, prefix="pick"):
    value: str


def echo_router() -> Router:
    """A small bot: echoes text with Yes/No buttons, sends a photo, reads documents."""
    router = Router(name="echo")

    @router.message(Command("photo"))
    async def send_photo(message: Message) -> None:
        photo = BufferedInputFile(TINY_PNG, filename="shot.png")
        await message.answer_photo(photo, caption="Here is <b>the</b> screenshot", parse_mode="HTML")

    @router.message(F.document)
    async def read_document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        content = (await bot.download(message.document)).read()
        await message.answer(f"Got {message.document.file_name}: {len(content)} bytes, {content[:8]!r}")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        keyboard = InlineKeyboardBuilder()
        keyboard.button(text="Yes", callback_data=Pick(value="yes"))
        keyboard.button(text="No", callback_data=Pick(value="no"))
        await message.answer(
            f"You said: <b>{html.quote(message.text or '')}</b>",
            parse_mode="HTML",
            reply_markup=keyboard.as_markup(),
        )

    @router.callback_query(Pick.filter())
    async def picked(callback: CallbackQuery, callback_data: Pick) -> None:
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(f"You picked {callback_data.value}")
        await callback.answer("Noted")

    @router.callback_query()
    async def stale(callback: CallbackQuery) -> None:
        await callback.answer("This button has expired", show_alert=True)

    return router


@pytest_asyncio.fixture
async def polling_bot(fake_telegram_bot: Bot) -> AsyncIterator[Bot]:
    """The echo bot polling the fake; stopped cleanly after the test."""
    dispatcher = Dispatcher()
    dispatcher.include_router(echo_router())
    started = asyncio.Event()

    async def on_startup() -> None:
        started.set()

    dispatcher.startup.register(on_startup)
    polling = asyncio.create_task(dispatcher.start_polling(fake_telegram_bot, handle_signals=False))
    await asyncio.wait_for(started.wait(), timeout=5)
    try:
        yield fake_telegram_bot
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, timeout=5)


async def test_echo_arrives_with_its_keyboard(fake_telegram: FakeTelegram, polling_bot: Bot) -> None:
    user = fake_telegram.user(USER_ID)

    await user.send("hello <world>")

    reply = await fake_telegram.wait_for_message(lambda m: m.chat_id == USER_ID, timeout=5)
    assert reply.text == "You said: hello <world>"  # HTML parsed to plain text, as the user sees it
    assert [(e["type"], e["offset"], e["length"]) for e in reply.entities] == [("bold", 10, 13)]
    assert [b.text for b in reply.buttons()] == ["Yes", "No"]
    assert reply.button("yes").callback_data == "pick:yes"


async def test_tap_runs_the_callback_handler_which_edits_the_message(
    fake_telegram: FakeTelegram, polling_bot: Bot
) -> None:
    user = fake_telegram.user(USER_ID)
    await user.send("apply?")
    question = await fake_telegram.wait_for_message(lambda m: bool(m.buttons()), timeout=5)

    answer = await user.tap(question, "Yes", timeout=5)

    assert answer.text == "Noted" and not answer.show_alert
    edited = await fake_telegram.wait_for_message(lambda m: m.edits == 1, timeout=5)
    assert edited.message_id == question.message_id
    assert edited.text == "You picked yes"
    assert edited.buttons() == []  # editMessageText without reply_markup drops the keyboard


async def test_forged_callback_data_reaches_the_fallback_handler(fake_telegram: FakeTelegram, polling_bot: Bot) -> None:
    user = fake_telegram.user(USER_ID)
    await user.send("apply?")
    question = await fake_telegram.wait_for_message(lambda m: bool(m.buttons()), timeout=5)

    answer = await user.tap_data(question, "pick", timeout=5)

    assert answer == CallbackAnswer(text="This button has expired", show_alert=True)


async def test_photo_upload_stores_the_bytes(fake_telegram: FakeTelegram, polling_bot: Bot) -> None:
    user = fake_telegram.user(USER_ID)

    await user.send_command("/photo")

    sent = await fake_telegram.wait_for_message(lambda m: m.photo is not None, timeout=5)
    assert sent.photo == TINY_PNG
    assert sent.caption == "Here is the screenshot"
    [call] = fake_telegram.calls_of("sendPhoto")
    assert call.params["photo"].filename == "shot.png"
    assert call.params["chat_id"] == USER_ID


async def test_bot_downloads_a_document_the_user_sent(fake_telegram: FakeTelegram, polling_bot: Bot) -> None:
    user = fake_telegram.user(USER_ID)

    await user.send_document("resume.pdf", b"%PDF-1.7 fake resume", "application/pdf")

    reply = await fake_telegram.wait_for_message(lambda m: m.body.startswith("Got"), timeout=5)
    assert reply.text == "Got resume.pdf: 20 bytes, b'%PDF-1.7'"
    assert fake_telegram.downloads == ["documents/file_1.pdf"]


async def test_injected_429_surfaces_as_retry_after(fake_telegram: FakeTelegram, fake_telegram_bot: Bot) -> None:
    fake_telegram.user(USER_ID)
    fake_telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)

    with pytest.raises(TelegramRetryAfter) as raised:
        await fake_telegram_bot.send_message(USER_ID, "first try")
    await fake_telegram_bot.send_message(USER_ID, "second try")

    assert raised.value.retry_after == 7
    assert [m.text for m in fake_telegram.messages(USER_ID)] == ["second try"]


async def test_identical_edit_is_not_modified(fake_telegram: FakeTelegram, fake_telegram_bot: Bot) -> None:
    fake_telegram.user(USER_ID)
    sent = await fake_telegram_bot.send_message(USER_ID, "Status: queued")

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await fake_telegram_bot.edit_message_text("Status: queued", chat_id=USER_ID, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await fake_telegram_bot.edit_message_text("Status: running", chat_id=USER_ID, message_id=999)


async def test_formatting_is_parsed_and_bad_markup_rejected_like_telegram(
    fake_telegram: FakeTelegram, fake_telegram_bot: Bot
) -> None:
    fake_telegram.user(USER_ID)

    sent = await fake_telegram_bot.send_message(
        USER_ID, '<b>Engineer</b> at <a href="https://acme.io/jobs">Acme</a> &amp; co', parse_mode="HTML"
    )
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await fake_telegram_bot.send_message(USER_ID, "Salary < 100k", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match=r"Character '.' is reserved"):
        await fake_telegram_bot.send_message(USER_ID, "Applied.", parse_mode="MarkdownV2")

    assert sent.text == "Engineer at Acme & co"
    assert [(e.type, e.extract_from(sent.text), e.url) for e in sent.entities or []] == [
        ("bold", "Engineer", None),
        ("text_link", "Acme", "https://acme.io/jobs"),
    ]


async def test_long_poll_returns_when_an_update_arrives_and_offset_confirms(
    fake_telegram: FakeTelegram, fake_telegram_bot: Bot
) -> None:
    user = fake_telegram.user(USER_ID, username="ada")
    poll = asyncio.create_task(fake_telegram_bot.get_updates(timeout=30))

    await user.send("Look: https://jobs.example.com/123, www.acme.io. http://127.0.0.1:8080/apply hr@acme.io")

    [update] = await asyncio.wait_for(poll, timeout=5)  # well before the 30 s poll timeout
    message = update.message
    assert message is not None and message.text is not None and message.from_user is not None
    assert message.from_user.username == "ada" and message.chat.type == "private"
    assert [(e.type, e.extract_from(message.text)) for e in message.entities or []] == [
        ("url", "https://jobs.example.com/123"),
        ("url", "www.acme.io"),
        ("url", "http://127.0.0.1:8080/apply"),
        ("email", "hr@acme.io"),
    ]
    assert await fake_telegram_bot.get_updates(offset=update.update_id + 1, timeout=0) == []


async def test_a_second_long_poll_terminates_the_first(fake_telegram: FakeTelegram, fake_telegram_bot: Bot) -> None:
    results = await asyncio.gather(
        fake_telegram_bot.get_updates(timeout=1),
        fake_telegram_bot.get_updates(timeout=1),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == sorted([TelegramConflictError.__name__, "list"])


async def test_forwarded_channel_post_parses_as_a_channel_origin(
    fake_telegram: FakeTelegram, fake_telegram_bot: Bot
) -> None:
    user = fake_telegram.user(USER_ID)

    await user.forward_from_channel("Senior Python dev https://acme.io/jobs/1", channel_title="Remote Jobs")

    [update] = await fake_telegram_bot.get_updates(timeout=0)
    assert update.message is not None
    origin = update.message.forward_origin
    assert isinstance(origin, MessageOriginChannel)
    assert origin.chat.title == "Remote Jobs"
    assert update.message.chat.id == USER_ID


async def test_wrong_token_and_unknown_method_are_refused(fake_telegram: FakeTelegram) -> None:
    api = TelegramAPIServer.from_base(fake_telegram.base_url)
    intruder = Bot("999:WRONG-TOKEN", session=AiohttpSession(api=api))
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()

    async with (
        aiohttp.ClientSession() as http,
        http.post(api.api_url(fake_telegram.token, "sendTelepathy")) as response,
    ):
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_wait_for_message_times_out_with_a_dump_of_recent_messages(
    fake_telegram: FakeTelegram, fake_telegram_bot: Bot
) -> None:
    fake_telegram.user(USER_ID)
    await fake_telegram_bot.send_message(USER_ID, "Scored 82/100")

    with pytest.raises(TimeoutError, match=r"(?s)no bot message matched.*Scored 82/100"):
        await fake_telegram.wait_for_message(lambda m: "Applied" in m.body, timeout=0.05)
