"""The profile in the chat: /profile with an Edit button per field, and profile (YAML/JSON) or résumé
documents sent outside the guided setup (handlers/onboarding.py asks for a profile when there is
none). The fields themselves (how each is asked, read from a reply and shown): handlers/profile_fields.py."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Document, InlineKeyboardMarkup, Message, User

from automation.resume_text import SUPPORTED_SUFFIXES, ResumeReadError, read_text
from handlers.callbacks import FieldButton, FieldMove, ProfileEdit, ProfileField
from handlers.filters import in_own_chat
from handlers.profile_fields import (
    FIELDS,
    FieldError,
    FieldSpec,
    choice_rows,
    describe,
    edit_keyboard,
    field_button,
    updated,
)
from storage.answers import AnswerRepository, AnswerSource
from storage.files import UploadedFile
from storage.models import Profile
from storage.profile_import import (
    MAX_PROFILE_BYTES,
    MAX_RESUME_BYTES,
    RESUME_TYPES,
    ProfileError,
    parse_profile,
    resume_upload,
)
from storage.profiles import ProfileRepository

PROFILE_SUFFIXES = (".yaml", ".yml", ".json")
EDIT_SOURCE = "telegram:edit"
TYPE_IT = "Type your answer as a message."


async def download(bot: Bot, file_id: str) -> bytes:
    """A file the user sent; ProfileError if Telegram no longer has it."""
    buffer = io.BytesIO()
    try:
        await bot.download(file_id, destination=buffer)
    except TelegramBadRequest:
        raise ProfileError("Telegram could not give me that file. Please send it again.") from None
    return buffer.getvalue()


async def remove_buttons(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an answered question (it may be gone or unchanged already)."""
    if message_id is not None:
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)


async def show_profile(
    message: Message, profiles: ProfileRepository, answers: AnswerRepository, note: str = ""
) -> None:
    """Send the profile with its Edit buttons to the chat of `message` (a private chat: its id is the user's)."""
    stored = await profiles.get(message.chat.id)
    if stored is None:
        await message.answer("You have no profile yet. /profile sets one up.")
        return
    count = len(await answers.list(message.chat.id))
    text = describe(stored.profile, stored.resume.filename if stored.resume else None, count)
    await message.answer(f"{note}\n\n{text}" if note else text, reply_markup=edit_keyboard())


# --------------------------------------------------------------------------- editing one field


class EditProfile(StatesGroup):
    value = State()  # data: field, prompt (the question's message id)


def _edit_keyboard_for(spec: FieldSpec) -> InlineKeyboardMarkup:
    rows = choice_rows(spec)
    last = [field_button(spec, FieldMove.KEEP, "Keep as is")]
    if spec.clearable:
        last.insert(0, field_button(spec, FieldMove.CLEAR, "Clear"))
    return InlineKeyboardMarkup(inline_keyboard=rows + [last])


async def _ask_new_value(chat: Message, state: FSMContext, profile: Profile, spec: FieldSpec) -> None:
    await state.set_data({"field": spec.field.value})  # the field first: the state never comes without it
    await state.set_state(EditProfile.value)
    current = escape(spec.display(profile.model_dump(mode="json")))
    prompt = await chat.answer(
        f"✏️ <b>{escape(spec.label)}</b> (now: {current})\n{escape(spec.question)}",
        reply_markup=_edit_keyboard_for(spec),
    )
    await state.update_data(prompt=prompt.message_id)


async def _save_edit(
    chat: Message,
    state: FSMContext,
    bot: Bot,
    profiles: ProfileRepository,
    answers: AnswerRepository,
    spec: FieldSpec,
    changes: Mapping[str, Any],
) -> None:
    stored = await profiles.get(chat.chat.id)
    if stored is None:
        await state.clear()
        await chat.answer("You have no profile yet. /profile sets one up.")
        return
    try:
        profile = updated(stored.profile, changes)
    except FieldError as exc:
        await chat.answer(f"⚠️ {escape(spec.label)}: {escape(str(exc))}\nNothing was changed.")
        await _ask_new_value(chat, state, stored.profile, spec)
        return
    await profiles.update_fields(chat.chat.id, profile, source=EDIT_SOURCE)
    prompt = (await state.get_data()).get("prompt")
    await state.clear()
    await remove_buttons(bot, chat.chat.id, prompt)
    shown = escape(spec.display(profile.model_dump(mode="json")))
    await show_profile(chat, profiles, answers, note=f"Saved ✅ {escape(spec.label)}: {shown}")


async def _editing(state: FSMContext, field: ProfileField) -> bool:
    return await state.get_state() == EditProfile.value.state and (await state.get_data()).get("field") == field.value


# --------------------------------------------------------------------------- documents


async def _import_profile(
    message: Message,
    document: Document,
    user_id: int,
    bot: Bot,
    profiles: ProfileRepository,
    answers: AnswerRepository,
) -> None:
    name = document.file_name or "profile"
    if (document.file_size or 0) > MAX_PROFILE_BYTES:
        raise ProfileError(f"The profile file is larger than {MAX_PROFILE_BYTES // 1024} KiB.")
    profile = parse_profile(await download(bot, document.file_id), name)
    # A profile sent in the chat keeps the résumé already on file.
    await profiles.update_fields(user_id, profile, source=f"telegram:{name}")
    for question, answer in profile.answers.items():
        await answers.save(user_id, question, answer, AnswerSource.PROFILE)
    stored = await profiles.get(user_id)
    resume_name = stored.resume.filename if stored and stored.resume else None
    count = len(await answers.list(user_id))
    await message.answer("Profile saved ✅\n\n" + describe(profile, resume_name, count), reply_markup=edit_keyboard())


async def _replace_resume(
    message: Message, document: Document, user_id: int, bot: Bot, profiles: ProfileRepository
) -> None:
    name = document.file_name or "resume"
    if (document.file_size or 0) > MAX_RESUME_BYTES:
        raise ProfileError(f"The résumé is larger than {MAX_RESUME_BYTES // (1024 * 1024)} MiB.")
    upload = resume_upload(name, await download(bot, document.file_id))
    try:
        await profiles.replace_resume(user_id, upload)
    except LookupError:
        raise ProfileError("Set up your profile first: /profile.") from None
    note = await _refresh_summary(profiles, user_id, upload)
    await message.answer(
        f"Résumé saved ✅ ({escape(upload.filename)}). It will be uploaded with your applications.{note}"
    )


async def _refresh_summary(profiles: ProfileRepository, user_id: int, upload: UploadedFile) -> str:
    """Keep the profile's résumé text in step with the new résumé, when its text can be read."""
    if Path(upload.filename).suffix.lower() not in SUPPORTED_SUFFIXES:
        return ""
    try:
        text = await read_text(upload.filename, upload.content)
    except ResumeReadError as exc:
        return f"\n(I could not read its text for matching: {escape(str(exc))})"
    stored = await profiles.get(user_id)
    if stored is None:
        return ""
    await profiles.update_fields(user_id, updated(stored.profile, {"summary": text}), source=stored.source)
    return ""


# --------------------------------------------------------------------------- the router


async def on_profile(
    message: Message, state: FSMContext, bot: Bot, profiles: ProfileRepository, answers: AnswerRepository
) -> None:
    if await state.get_state() == EditProfile.value.state:
        await remove_buttons(bot, message.chat.id, (await state.get_data()).get("prompt"))
        await state.clear()
    await show_profile(message, profiles, answers)


async def on_edit(
    query: CallbackQuery, callback_data: ProfileEdit, message: Message, state: FSMContext, profiles: ProfileRepository
) -> None:
    stored = await profiles.get(query.from_user.id)
    if stored is None:
        await query.answer("That button is no longer valid.")
        return
    await _ask_new_value(message, state, stored.profile, FIELDS[callback_data.field])
    await query.answer()


async def on_new_value(
    message: Message,
    text: str,
    event_from_user: User,
    state: FSMContext,
    bot: Bot,
    profiles: ProfileRepository,
    answers: AnswerRepository,
) -> None:
    spec = FIELDS[ProfileField((await state.get_data())["field"])]
    try:
        changes = spec.changes_for_text(text)
    except FieldError as exc:
        await message.answer(f"⚠️ {escape(spec.label)}: {escape(str(exc))}\nNothing was changed.")
        stored = await profiles.get(event_from_user.id)
        if stored is not None:
            await _ask_new_value(message, state, stored.profile, spec)
        return
    await _save_edit(message, state, bot, profiles, answers, spec, changes)


async def on_not_text(message: Message) -> None:
    await message.answer("Please send the new value as a text message, or tap a button under the question.")


async def on_value_button(
    query: CallbackQuery,
    callback_data: FieldButton,
    message: Message,
    state: FSMContext,
    bot: Bot,
    profiles: ProfileRepository,
    answers: AnswerRepository,
) -> None:
    if not await _editing(state, callback_data.field):
        await query.answer("That question is closed.")
        return
    spec = FIELDS[callback_data.field]
    if callback_data.move is FieldMove.KEEP:
        await state.clear()
        await remove_buttons(bot, message.chat.id, message.message_id)
        await query.answer("Unchanged.")
        return
    try:
        changes = spec.cleared if callback_data.move is FieldMove.CLEAR else spec.choice(callback_data.choice).changes
    except FieldError as exc:
        await query.answer(str(exc))
        return
    if changes is None:
        await query.answer(TYPE_IT, show_alert=True)
        return
    await _save_edit(message, state, bot, profiles, answers, spec, changes)
    await query.answer()


async def on_document(
    message: Message,
    document: Document,
    event_from_user: User,
    bot: Bot,
    profiles: ProfileRepository,
    answers: AnswerRepository,
) -> None:
    name = document.file_name or "document"
    suffix = Path(name).suffix.lower()
    try:
        if suffix in PROFILE_SUFFIXES:
            await _import_profile(message, document, event_from_user.id, bot, profiles, answers)
        elif suffix in RESUME_TYPES:
            await _replace_resume(message, document, event_from_user.id, bot, profiles)
        else:
            await message.answer(
                f"I can read a profile (.yaml, .yml, .json) or a résumé (.pdf, .docx). {escape(name)} is neither."
            )
    except ProfileError as exc:
        await message.answer(f"⚠️ {escape(str(exc))}\nNothing was changed.")


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.filter(in_own_chat)
    r.message.register(on_profile, Command("profile"))
    r.callback_query.register(on_edit, ProfileEdit.filter())
    r.message.register(on_new_value, EditProfile.value, F.text.as_("text"), ~F.text.startswith("/"))
    r.message.register(on_not_text, EditProfile.value, ~F.text.startswith("/"))
    r.callback_query.register(on_value_button, FieldButton.filter(), EditProfile.value)
    r.message.register(on_document, F.document.as_("document"))
    return r
