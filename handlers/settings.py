"""/settings by buttons: auto-apply and skip thresholds, daily cap, digest time and zone, review."""

from __future__ import annotations

import contextlib
import re

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, User
from pydantic import ValidationError

from handlers.callbacks import SettingsCallback, SettingsField
from handlers.filters import tapped_message
from storage.user_settings import QuietDigest, UserSettings, UserSettingsRepository

# Each tap moves to the next value, wrapping around.
AUTO_APPLY_STEPS: list[int | None] = [None, 90, 80, 70]
SKIP_STEPS = [0, 30, 40, 50, 60, 70]
CAP_STEPS = [5, 10, 20, 50, 100]
QUIET_LABELS = {QuietDigest.LINE: "one short line", QuietDigest.NONE: "no message"}
DIGEST_INPUT = re.compile(r"^\s*(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?:\s+(?P<tz>\S+))?\s*$")


class SettingsDialog(StatesGroup):
    digest = State()


def _next(steps: list, current) -> object:
    return steps[(steps.index(current) + 1) % len(steps)] if current in steps else steps[0]


def settings_view(s: UserSettings) -> tuple[str, InlineKeyboardMarkup]:
    auto = "off" if s.auto_apply_threshold is None else f"score ≥ {s.auto_apply_threshold}"
    text = "\n".join(
        [
            "<b>Settings</b> (tap a button to change it)",
            f"Apply on my own when the match is: {auto}",
            f"Suggest skipping below a score of: {s.skip_threshold}",
            f"At most {s.daily_cap} application(s) a day",
            f"Daily digest at {s.digest_time:%H:%M} {s.time_zone}",
            f"On a quiet day the digest is: {QUIET_LABELS[s.quiet_digest]}",
            f"Review before submitting: {'on' if s.review_required else 'off'}",
            "" if s.review_required else "⚠️ With review off, forms with no problems are submitted without asking.",
        ]
    ).rstrip()

    def button(label: str, field: SettingsField) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(text=label, callback_data=SettingsCallback(field=field).pack())]

    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            button(f"Auto-apply: {auto}", SettingsField.AUTO_APPLY),
            button(f"Skip below: {s.skip_threshold}", SettingsField.SKIP_BELOW),
            button(f"Daily cap: {s.daily_cap}", SettingsField.DAILY_CAP),
            button(f"Digest: {s.digest_time:%H:%M} {s.time_zone}", SettingsField.DIGEST),
            button(f"Review: {'on' if s.review_required else 'off'}", SettingsField.REVIEW),
            button(f"Quiet days: {QUIET_LABELS[s.quiet_digest]}", SettingsField.QUIET_DIGEST),
        ]
    )
    return text, markup


async def on_settings(
    message: Message, event_from_user: User, state: FSMContext, user_settings: UserSettingsRepository
) -> None:
    await state.clear()
    text, markup = settings_view(await user_settings.get(event_from_user.id))
    await message.answer(text, reply_markup=markup)


async def on_change(
    query: CallbackQuery,
    callback_data: SettingsCallback,
    message: Message,
    state: FSMContext,
    user_settings: UserSettingsRepository,
) -> None:
    current = await user_settings.get(query.from_user.id)
    field = callback_data.field
    if field is SettingsField.DIGEST:
        await state.set_state(SettingsDialog.digest)
        await query.answer()
        await message.answer(
            "Send the digest time as HH:MM, optionally with a time zone, e.g. <code>08:30 Europe/Berlin</code>."
        )
        return
    steps: dict[SettingsField, dict[str, object]] = {
        SettingsField.AUTO_APPLY: {"auto_apply_threshold": _next(AUTO_APPLY_STEPS, current.auto_apply_threshold)},
        SettingsField.SKIP_BELOW: {"skip_threshold": _next(SKIP_STEPS, current.skip_threshold)},
        SettingsField.DAILY_CAP: {"daily_cap": _next(CAP_STEPS, current.daily_cap)},
        SettingsField.REVIEW: {"review_required": not current.review_required},
        SettingsField.QUIET_DIGEST: {"quiet_digest": _next(list(QuietDigest), current.quiet_digest)},
    }
    updated = await user_settings.update(query.from_user.id, current.model_copy(update=steps[field]))
    await query.answer("Saved.")
    text, markup = settings_view(updated)
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(text, reply_markup=markup)


async def on_digest(
    message: Message, text: str, event_from_user: User, state: FSMContext, user_settings: UserSettingsRepository
) -> None:
    match = DIGEST_INPUT.match(text)
    current = await user_settings.get(event_from_user.id)
    if match is None:
        await message.answer(
            "That is not a time like 08:30 (optionally followed by a zone like Europe/Berlin). Try again."
        )
        return
    changes = {"digest_time": f"{int(match['h']):02d}:{match['m']}", "time_zone": match["tz"] or current.time_zone}
    try:
        wanted = UserSettings.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        await message.answer(f"{exc.errors()[0]['msg'].removeprefix('Value error, ')}. Try again.")
        return
    updated = await user_settings.update(event_from_user.id, wanted)
    await state.clear()
    shown, markup = settings_view(updated)
    await message.answer("Saved ✅\n\n" + shown, reply_markup=markup)


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.message.register(on_settings, Command("settings"))
    r.callback_query.register(on_change, SettingsCallback.filter(), tapped_message)
    r.message.register(on_digest, StateFilter(SettingsDialog.digest), F.text.as_("text"))
    return r
