"""The dispatcher's one error handler (bot/error_handler.py), through the fake Bot API: a handler that
fails with a UserFacingError shows the user its message, any other failure the apology; a button's
failure is answered on the button; the log gets the traceback either way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest_asyncio
from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.app import build_dispatcher
from bot.config import Settings
from bot.error_handler import SORRY
from bot.services import Services
from storage.errors import UserFacingError

REFUSED = "That posting is no longer online, so there is nothing to apply to <yet> & nothing was changed."
LONG = "Your résumé could not be read. " * 10  # over the 200 characters a button's alert can show


class PostingGone(UserFacingError):
    """A module's own user-facing error, as a handler would let it propagate."""


async def refuse(message: Message) -> None:
    raise PostingGone(REFUSED)


async def crash(message: Message) -> None:
    raise RuntimeError("the database said no (a detail for the log, not the user)")


async def refuse_button(callback: CallbackQuery) -> None:
    raise PostingGone(REFUSED)


async def refuse_at_length(callback: CallbackQuery) -> None:
    raise PostingGone(LONG.strip())


@pytest_asyncio.fixture
async def polling(settings: Settings) -> AsyncIterator[Services]:
    """The app's own dispatcher, polling the fake, with handlers that fail registered ahead of the app's."""
    services = await Services.connect(settings)
    dispatcher = build_dispatcher(services)
    dispatcher.message.register(refuse, Command("refuse"))
    dispatcher.message.register(crash, Command("crash"))
    dispatcher.callback_query.register(refuse_button, F.data == "refuse")
    dispatcher.callback_query.register(refuse_at_length, F.data == "refuse-long")
    task = asyncio.create_task(dispatcher.start_polling(services.bot, handle_signals=False, close_bot_session=False))
    try:
        yield services
    finally:
        await dispatcher.stop_polling()
        await task
        await dispatcher.storage.close()
        await services.close()


async def test_a_user_facing_error_shows_its_message(polling, fake_telegram, settings, caplog) -> None:
    user = fake_telegram.user(settings.allowed_user_ids[0])
    with caplog.at_level(logging.WARNING, logger="bot.error_handler"):
        await user.send_command("/refuse")
        said = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id)

    assert said.body == REFUSED  # as written, though it looks like markup
    assert SORRY not in said.body
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], PostingGone)]
    assert len(logged) == 1


async def test_any_other_failure_shows_the_apology_and_logs_the_detail(
    polling, fake_telegram, settings, caplog
) -> None:
    user = fake_telegram.user(settings.allowed_user_ids[0])
    with caplog.at_level(logging.ERROR, logger="bot.error_handler"):
        await user.send_command("/crash")
        said = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id)

    assert said.body == SORRY
    assert "database" not in said.body
    (logged,) = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert "the database said no" in str(logged.exc_info[1])


async def test_a_failing_button_answers_with_an_alert(polling, fake_telegram, settings) -> None:
    user = fake_telegram.user(settings.allowed_user_ids[0])
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Apply", callback_data="refuse"),
                InlineKeyboardButton(text="Details", callback_data="refuse-long"),
            ]
        ]
    )
    await polling.bot.send_message(user.chat_id, "#7 Backend engineer at Acme", reply_markup=keyboard)
    card = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and m.buttons())

    answer = await user.tap(card, "Apply")
    assert answer.show_alert and answer.text == REFUSED

    answer = await user.tap(card, "Details")  # too long for an alert: it goes to the chat
    assert not answer.text
    said = await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and "résumé" in m.body)
    assert said.body == LONG.strip()
