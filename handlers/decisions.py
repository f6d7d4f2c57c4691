"""The job card's buttons: Apply (queue it for the worker) and Skip."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery

from automation.queue import ApplicationQueue
from handlers.callbacks import CardAction, CardCallback
from handlers.cards import APPLY_AGAIN_FROM, card_keyboard, card_text
from storage.applications import ApplicationRepository
from storage.models import Application, ApplicationStatus
from storage.profiles import ProfileRepository

log = logging.getLogger(__name__)
S = ApplicationStatus
APPLY_FROM = [S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL, *APPLY_AGAIN_FROM]


async def refresh_card(query: CallbackQuery, app: Application) -> None:
    if query.message is None:
        return
    with contextlib.suppress(TelegramBadRequest):  # "message is not modified" is fine
        await query.message.edit_text(card_text(app), reply_markup=card_keyboard(app))


def router() -> Router:
    r = Router(name=__name__)

    @r.callback_query(CardCallback.filter())
    async def on_card(
        query: CallbackQuery,
        callback_data: CardCallback,
        applications: ApplicationRepository,
        profiles: ProfileRepository,
        queue: ApplicationQueue,
    ) -> None:
        user_id = query.from_user.id
        app = await applications.get(callback_data.application_id, user_id=user_id)
        if app is None:
            await query.answer("That job is not in your list.")
            return
        if callback_data.action is CardAction.SKIP:
            moved = await applications.transition(
                app.id, S.SKIPPED, from_statuses=[S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL],
                user_id=user_id, note="skipped by the user",
            )
            await query.answer("Skipped." if moved else f"It is already {app.status.label}.")
            await refresh_card(query, moved or app)
            return
        if app.submit_started_at is not None:
            await query.answer("This application was already submitted once.", show_alert=True)
            await refresh_card(query, app)
            return
        stored = await profiles.get(user_id)
        if stored is None or stored.resume is None:
            await query.answer(
                "Load your profile and résumé first: send /profile to see how.", show_alert=True
            )
            return
        moved = await applications.transition(
            app.id, S.QUEUED, from_statuses=APPLY_FROM, user_id=user_id, note="approved by the user"
        )
        if moved is None:
            await query.answer(f"It is already {app.status.label}.")
            await refresh_card(query, app)
            return
        await queue.enqueue(moved, await applications.attempts(moved.id))
        await query.answer("Queued: I will open the form and come back to you for review.")
        await refresh_card(query, moved)

    return r
