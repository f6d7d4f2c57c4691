"""Deciding about a job in the chat: the card's Apply/Skip buttons and /cancel, /retry, /pause, /resume.

The rules (pause, daily cap, résumé, submitted once) are the workflow's (automation/workflow.py); these
handlers read the update, call it and show its result.
"""

from __future__ import annotations

import contextlib
from html import escape

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, User

from automation import workflow
from automation.prompts import PromptBridge
from automation.queue import ApplicationQueue
from handlers.callbacks import CardAction, CardCallback
from handlers.cards import card_keyboard, card_text
from handlers.wording import PAUSE_REPLIES, cancellation_sentence, decision_sentence
from storage.applications import ApplicationRepository
from storage.models import Application
from storage.profiles import ProfileRepository
from storage.prompts import PromptRepository
from storage.user_settings import UserSettingsRepository


async def refresh_card(query: CallbackQuery, app: Application) -> None:
    if not isinstance(query.message, Message):  # gone, or too old for the bot to see
        return
    with contextlib.suppress(TelegramBadRequest):  # "message is not modified" is fine
        await query.message.edit_text(card_text(app), reply_markup=card_keyboard(app))


def _application_number(command: CommandObject) -> int | None:
    arg = (command.args or "").strip().lstrip("#")
    return int(arg) if arg.isdigit() and len(arg) < 12 else None


async def on_card(
    query: CallbackQuery,
    callback_data: CardCallback,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
) -> None:
    user_id = query.from_user.id
    app = await applications.get(callback_data.application_id, user_id=user_id)
    if app is None:
        await query.answer("That job is not in your list.")
        return
    if callback_data.action is CardAction.SKIP:
        decision = await workflow.skip_application(app, user_id, applications=applications)
    else:
        decision = await workflow.queue_application(
            app, user_id, applications=applications, profiles=profiles, user_settings=user_settings, queue=queue
        )
    await query.answer(decision_sentence(decision), show_alert=decision.refused)
    await refresh_card(query, decision.application)


async def on_retry_or_cancel(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    prompts: PromptRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
    bridge: PromptBridge,
) -> None:
    number = _application_number(command)
    if number is None:
        await message.answer(f"Which one? Send /{command.command} followed by its number, e.g. /{command.command} 12.")
        return
    user_id = event_from_user.id
    app = await applications.get(number, user_id=user_id)
    if app is None:
        await message.answer(f"You have no application #{number}. /jobs lists yours.")
        return
    if command.command == "cancel":
        cancellation = await workflow.cancel_application(
            app, user_id, applications=applications, prompts=prompts, bridge=bridge
        )
        now, sentence = cancellation.application, cancellation_sentence(cancellation)
    else:
        decision = await workflow.retry_application(
            app, user_id, applications=applications, profiles=profiles, user_settings=user_settings, queue=queue
        )
        now, sentence = decision.application, decision_sentence(decision)
    await message.answer(f"{escape(sentence)}\n\n{card_text(now)}", reply_markup=card_keyboard(now))


async def on_pause(
    message: Message, command: CommandObject, event_from_user: User, user_settings: UserSettingsRepository
) -> None:
    outcome = await workflow.set_paused(event_from_user.id, command.command == "pause", user_settings=user_settings)
    await message.answer(PAUSE_REPLIES[outcome])


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.register(on_card, CardCallback.filter())
    r.message.register(on_retry_or_cancel, Command("retry", "cancel"))
    r.message.register(on_pause, Command("pause", "resume"))
    return r
