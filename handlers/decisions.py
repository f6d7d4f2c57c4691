"""Deciding about a job: the card's Apply/Skip buttons and /cancel, /retry, /pause, /resume."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import escape

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from automation.prompts import PromptBridge
from automation.queue import ApplicationQueue
from handlers.callbacks import CardAction, CardCallback
from handlers.cards import APPLY_AGAIN_FROM, card_keyboard, card_text
from storage.applications import ApplicationRepository
from storage.models import Application, ApplicationStatus, PromptStatus
from storage.profiles import ProfileRepository
from storage.prompts import PromptRepository
from storage.user_settings import UserSettingsRepository

log = logging.getLogger(__name__)
S = ApplicationStatus
APPLY_FROM = [S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL, *APPLY_AGAIN_FROM]
SKIP_FROM = [S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL]
CANCEL_FROM = [S.RECEIVED, S.SCORED, S.AWAITING_APPROVAL, S.QUEUED, S.RUNNING, S.WAITING_USER]


@dataclass(frozen=True)
class Decision:
    """What became of a request to apply: the application now, one sentence, and whether the
    sentence is a refusal the user must notice (an alert) rather than a note."""

    application: Application
    sentence: str
    refused: bool = False


async def queue_application(
    app: Application,
    user_id: int,
    *,
    applications: ApplicationRepository,
    profiles: ProfileRepository,
    user_settings: UserSettingsRepository,
    queue: ApplicationQueue,
    from_statuses: Sequence[ApplicationStatus] = APPLY_FROM,
) -> Decision:
    """Apply (or retry): the application as it now is and one sentence for the user.

    `from_statuses` narrows where it may be queued from (a digest's Retry only retries what failed).
    """
    if app.submit_started_at is not None:
        return Decision(app, "This application was already submitted once; I will not send it again.", refused=True)
    preferences = await user_settings.get(user_id)
    if preferences.paused:
        return Decision(app, "You paused applying. Send /resume to start again.", refused=True)
    # Queued, running and waiting ones count too, or auto-apply could queue past the cap.
    counted = await applications.counted_toward_cap(user_id, datetime.now(timezone.utc) - timedelta(days=1))
    if counted >= preferences.daily_cap:
        return Decision(app, f"You reached your cap of {preferences.daily_cap} application(s) a day; change it in /settings.", refused=True)
    stored = await profiles.get(user_id)
    if stored is None or stored.resume is None:
        return Decision(app, "Load your profile and résumé first: send /profile to see how.", refused=True)
    moved = await applications.transition(
        app.id, S.QUEUED, from_statuses=from_statuses, user_id=user_id, note="approved by the user"
    )
    if moved is None:
        return Decision(app, f"It is already {app.status.label}.")
    await queue.enqueue(moved, await applications.attempts(moved.id))
    return Decision(moved, "Queued: I will open the form and come back to you for review.")


async def skip_application(app: Application, user_id: int, *, applications: ApplicationRepository) -> Decision:
    moved = await applications.transition(
        app.id, S.SKIPPED, from_statuses=SKIP_FROM, user_id=user_id, note="skipped by the user"
    )
    return Decision(moved or app, "Skipped." if moved else f"It is already {app.status.label}.")


async def cancel_application(
    app: Application, user_id: int, *, applications: ApplicationRepository, prompts: PromptRepository,
    bridge: PromptBridge,
) -> tuple[Application, str]:
    # Once the submit is claimed the form may be on its way: a cancel then would be a lie.
    moved = await applications.transition(
        app.id, S.CANCELLED, from_statuses=CANCEL_FROM, user_id=user_id, note="cancelled by the user",
        unclaimed=True,
    )
    if moved is None:
        now = await applications.get(app.id, user_id=user_id) or app
        if now.submit_claimed and not now.status.is_final:
            return now, f"#{app.id} is being sent to the employer right now; it can no longer be cancelled."
        return now, f"#{now.id} is {now.status.label}; there is nothing to cancel."
    pending = await prompts.pending_for_application(app.id)
    if pending is not None and await prompts.close(pending.id, PromptStatus.CANCELLED):
        await bridge.notify(pending.id)  # the worker wakes, sees the cancel and closes its browser
    return moved, f"#{app.id} cancelled. Nothing was submitted."


async def refresh_card(query: CallbackQuery, app: Application) -> None:
    if query.message is None:
        return
    with contextlib.suppress(TelegramBadRequest):  # "message is not modified" is fine
        await query.message.edit_text(card_text(app), reply_markup=card_keyboard(app))


def _application_number(command: CommandObject) -> int | None:
    arg = (command.args or "").strip().lstrip("#")
    return int(arg) if arg.isdigit() and len(arg) < 12 else None


def router() -> Router:
    r = Router(name=__name__)

    @r.callback_query(CardCallback.filter())
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
            skipped = await skip_application(app, user_id, applications=applications)
            await query.answer(skipped.sentence)
            await refresh_card(query, skipped.application)
            return
        decision = await queue_application(
            app, user_id, applications=applications, profiles=profiles, user_settings=user_settings, queue=queue
        )
        await query.answer(decision.sentence, show_alert=decision.refused)
        await refresh_card(query, decision.application)

    @r.message(Command("retry", "cancel"))
    async def on_retry_or_cancel(
        message: Message,
        command: CommandObject,
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
        user_id = message.from_user.id
        app = await applications.get(number, user_id=user_id)
        if app is None:
            await message.answer(f"You have no application #{number}. /jobs lists yours.")
            return
        if command.command == "cancel":
            now, sentence = await cancel_application(
                app, user_id, applications=applications, prompts=prompts, bridge=bridge
            )
        elif app.status not in APPLY_AGAIN_FROM:
            now, sentence = app, f"#{app.id} is {app.status.label}; only failed, timed-out, cancelled or skipped ones can be retried."
        else:
            decision = await queue_application(
                app, user_id, applications=applications, profiles=profiles, user_settings=user_settings, queue=queue
            )
            now, sentence = decision.application, decision.sentence
        await message.answer(f"{escape(sentence)}\n\n{card_text(now)}", reply_markup=card_keyboard(now))

    @r.message(Command("pause", "resume"))
    async def on_pause(message: Message, command: CommandObject, user_settings: UserSettingsRepository) -> None:
        pausing = command.command == "pause"
        unchanged = await user_settings.set_paused(message.from_user.id, pausing)
        if pausing:
            text = "Already paused." if unchanged else "Paused: I will not start new applications until you send /resume."
        else:
            text = "Not paused." if unchanged else "Resumed: tap Apply on any job to continue."
        await message.answer(text)

    return r
