"""The guided profile setup. /profile without a profile (or a résumé sent without one) asks for the
résumé, proposes the contact details read from it for confirmation, saves the profile with the
résumé, then asks the remaining questions one at a time, saving each answer as it comes.

The dialog's step lives in the dispatcher's FSM storage (Redis), so a restart loses nothing; what
is saved lives in PostgreSQL and is always a valid Profile, so stopping half-way leaves it usable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter, or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    User,
)
from pydantic import ValidationError

from automation.resume_text import (
    SUPPORTED_SUFFIXES,
    Contacts,
    ResumeReadError,
    find_contacts,
    read_text,
)
from handlers.callbacks import (
    AnswerMove,
    AnswersButton,
    FieldButton,
    FieldMove,
    ProfileEdit,
    ProfileField,
    SetupButton,
    SetupMove,
)
from handlers.filters import in_own_chat
from handlers.profile import TYPE_IT, download, remove_buttons, show_profile
from handlers.profile_fields import FIELDS, FieldError, FieldSpec, choice_rows, draft_with, field_button, updated
from storage.answers import AnswerRepository
from storage.files import UploadedFile
from storage.models import Profile
from storage.profile_import import MAX_RESUME_BYTES, ProfileError, resume_upload
from storage.profiles import ProfileRepository

SETUP_SOURCE = "telegram:setup"
CONTACTS = (
    ProfileField.NAME,
    ProfileField.EMAIL,
    ProfileField.PHONE,
    ProfileField.LINKEDIN,
    ProfileField.GITHUB,
    ProfileField.WEBSITE,
)
QUESTIONS = (
    ProfileField.LOCATION,
    ProfileField.WORK_AUTHORIZATION,
    ProfileField.SPONSORSHIP,
    ProfileField.SALARY,
    ProfileField.NOTICE,
    ProfileField.RELOCATION,
    ProfileField.REMOTE,
    ProfileField.GENDER,
    ProfileField.RACE,
    ProfileField.VETERAN,
    ProfileField.DISABILITY,
)
EEO_INTRO = (
    "The next four are the voluntary equal-opportunity questions some forms ask. "
    "Unless you choose otherwise, forms get “Decline to answer”.\n\n"
)
INTRO = (
    "👋 Let's set up your profile: what application forms ask for. Every answer is saved as you go; "
    "/cancel_setup (or Stop) ends the setup and keeps what is saved.\n\n"
)


class Setup(StatesGroup):
    resume = State()  # waiting for the résumé document
    contacts = State()  # the contact details (data: draft), to confirm or change
    contact_value = State()  # a new value for one contact detail (data: field)
    question = State()  # one of QUESTIONS (data: field)


async def _without_profile(event: Message, event_from_user: User, profiles: ProfileRepository) -> bool:
    return await profiles.get(event_from_user.id) is None


def _is_pdf_or_docx(message: Message) -> bool:
    document = message.document
    return document is not None and Path(document.file_name or "").suffix.lower() in SUPPORTED_SUFFIXES


def _stop_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text="Stop", callback_data=SetupButton(move=SetupMove.STOP).pack())


async def _enter(state: FSMContext, step: State, **data: Any) -> None:
    """Move to `step`, its data first: a step is never stored without what it needs."""
    await state.update_data(**data)
    await state.set_state(step)


async def _remember_prompt(state: FSMContext, prompt: Message) -> None:
    """The question on screen, whose buttons go once it is answered (set after it is sent)."""
    await state.update_data(prompt=prompt.message_id)


# --------------------------------------------------------------------------- step 1: the résumé


async def _ask_resume(chat: Message, state: FSMContext, intro: str = "") -> None:
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="Go on without a résumé", callback_data=SetupButton(move=SetupMove.NO_RESUME).pack()
                )
            ],
            [_stop_button()],
        ]
    )
    prompt = await chat.answer(
        f"{intro}📄 Send me your résumé as a document: a PDF or DOCX file, up to "
        f"{MAX_RESUME_BYTES // (1024 * 1024)} MiB. I will read your contact details from it.",
        reply_markup=keyboard,
    )
    await _remember_prompt(state, prompt)


def _too_big(name: str) -> str:
    return f"{name} is larger than {MAX_RESUME_BYTES // (1024 * 1024)} MiB."


def _resume_problem(document: Document) -> str | None:
    """Why this document cannot be the résumé, judged before downloading it."""
    name = document.file_name or "That file"
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        return f"{name} is not a PDF or DOCX document."
    if (document.file_size or 0) > MAX_RESUME_BYTES:
        return _too_big(name)
    return None


async def _read_resume(bot: Bot, document: Document) -> str:
    """The résumé's text; ResumeReadError says why there is none."""
    problem = _resume_problem(document)
    if problem:
        raise ResumeReadError(problem)
    try:
        content = await download(bot, document.file_id)
    except ProfileError as exc:
        raise ResumeReadError(str(exc)) from None
    if len(content) > MAX_RESUME_BYTES:
        raise ResumeReadError(_too_big(document.file_name or "That file"))
    return await read_text(document.file_name or "", content)


def proposed_draft(contacts: Contacts) -> dict[str, Any]:
    """The contact details a résumé gives, each kept only if the Profile model accepts it."""
    found = {
        ProfileField.NAME: contacts.name,
        ProfileField.EMAIL: contacts.email,
        ProfileField.PHONE: contacts.phone,
        ProfileField.LINKEDIN: contacts.links.get("linkedin"),
        ProfileField.GITHUB: contacts.links.get("github"),
        ProfileField.WEBSITE: contacts.links.get("website"),
    }
    draft: dict[str, Any] = {}
    for field, value in found.items():
        if value:
            with contextlib.suppress(FieldError):  # a detail read wrongly is left for the user to give
                draft = draft_with(draft, FIELDS[field].changes_for_text(value))
    return draft


async def _take_resume(message: Message, document: Document, state: FSMContext, bot: Bot) -> None:
    try:
        text = await _read_resume(bot, document)
    except ResumeReadError as exc:
        await message.answer(f"⚠️ {escape(str(exc))}")
        await _ask_resume(message, state)
        return
    await remove_buttons(bot, message.chat.id, (await state.get_data()).get("prompt"))
    await state.set_data(
        {
            "resume": {"file_id": document.file_id, "filename": Path(document.file_name or "resume").name},
            "summary": text,
            "draft": proposed_draft(find_contacts(text)),
        }
    )
    await state.set_state(Setup.contacts)
    await _show_contacts(message, state)


# --------------------------------------------------------------------------- step 2: contact details


def _contacts_keyboard() -> InlineKeyboardMarkup:
    edits = [
        InlineKeyboardButton(
            text=f"✏️ {FIELDS[field].label}", callback_data=SetupButton(move=SetupMove.EDIT, field=field).pack()
        )
        for field in CONTACTS
    ]
    confirm = InlineKeyboardButton(text="✅ Confirm", callback_data=SetupButton(move=SetupMove.CONFIRM).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[confirm], edits[:3], edits[3:], [_stop_button()]])


async def _show_contacts(chat: Message, state: FSMContext) -> None:
    data = await state.get_data()
    draft = data.get("draft") or {}
    resume = data.get("resume")
    lines = [
        f"📄 I read <b>{escape(resume['filename'])}</b>. Are these your details?"
        if resume
        else "How should employers reach you?",
        "",
    ]
    lines += [f"{FIELDS[field].label}: {escape(FIELDS[field].display(draft))}" for field in CONTACTS]
    lines += ["", "Tap ✅ Confirm if they are right, or ✏️ to change one. Name and e-mail are required."]
    prompt = await chat.answer("\n".join(lines), reply_markup=_contacts_keyboard())
    await _remember_prompt(state, prompt)


async def _ask_contact(chat: Message, state: FSMContext, spec: FieldSpec) -> None:
    await _enter(state, Setup.contact_value, field=spec.field.value)
    draft = (await state.get_data()).get("draft") or {}
    buttons = [field_button(spec, FieldMove.KEEP, "Back")]
    if spec.clearable:
        buttons.insert(0, field_button(spec, FieldMove.CLEAR, "Leave empty"))
    prompt = await chat.answer(
        f"✏️ <b>{escape(spec.label)}</b> (now: {escape(spec.display(draft))})\n{escape(spec.question)}",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]),
    )
    await _remember_prompt(state, prompt)


async def _set_contact(
    chat: Message, state: FSMContext, bot: Bot, spec: FieldSpec, changes: Mapping[str, Any] | None
) -> None:
    """Back to the contact details, with `changes` (None: unchanged) in the draft if they are valid."""
    data = await state.get_data()
    if changes is not None:
        try:
            await state.update_data(draft=draft_with(data.get("draft") or {}, changes))
        except FieldError as exc:
            await chat.answer(f"⚠️ {escape(spec.label)}: {escape(str(exc))}")
            await _ask_contact(chat, state, spec)
            return
    await remove_buttons(bot, chat.chat.id, data.get("prompt"))
    await _enter(state, Setup.contacts)
    await _show_contacts(chat, state)


async def _resume_upload(bot: Bot, resume: Mapping[str, str] | None) -> UploadedFile | None:
    """The résumé's bytes, fetched again from Telegram by its file id (they are not kept in Redis)."""
    if not resume:
        return None
    return resume_upload(resume["filename"], await download(bot, resume["file_id"]))


async def _confirm_contacts(
    query: CallbackQuery, message: Message, state: FSMContext, bot: Bot, profiles: ProfileRepository
) -> None:
    data = await state.get_data()
    try:
        profile = Profile.model_validate({**(data.get("draft") or {}), "summary": data.get("summary")})
    except ValidationError:
        await query.answer("Your name and e-mail are required: tap ✏️ Name or ✏️ E-mail.", show_alert=True)
        return
    try:
        resume = await _resume_upload(bot, data.get("resume"))
    except ProfileError as exc:
        await query.answer(str(exc), show_alert=True)
        return
    await profiles.save(query.from_user.id, profile, source=SETUP_SOURCE, resume=resume)
    await remove_buttons(bot, message.chat.id, data.get("prompt"))
    await _ask_question(message, state, FIELDS[QUESTIONS[0]])
    await query.answer("Saved.")


# --------------------------------------------------------------------------- step 3: the questions


def _question_keyboard(spec: FieldSpec) -> InlineKeyboardMarkup:
    last = [_stop_button()]
    if spec.clearable:  # else a button says "no answer" already
        last.insert(0, field_button(spec, FieldMove.KEEP, "Skip"))
    return InlineKeyboardMarkup(inline_keyboard=choice_rows(spec) + [last])


async def _ask_question(chat: Message, state: FSMContext, spec: FieldSpec) -> None:
    await _enter(state, Setup.question, field=spec.field.value)
    number = QUESTIONS.index(spec.field) + 1
    intro = EEO_INTRO if spec.field is ProfileField.GENDER else ""
    prompt = await chat.answer(
        f"{intro}<b>{number}/{len(QUESTIONS)} · {escape(spec.label)}</b>\n{escape(spec.question)}",
        reply_markup=_question_keyboard(spec),
    )
    await _remember_prompt(state, prompt)


async def _answer_question(
    chat: Message,
    state: FSMContext,
    bot: Bot,
    profiles: ProfileRepository,
    answers: AnswerRepository,
    spec: FieldSpec,
    changes: Mapping[str, Any] | None,
) -> None:
    """Save the answer (None: skipped) and ask the next question, or finish."""
    if changes is not None:
        stored = await profiles.get(chat.chat.id)
        if stored is None:
            await state.clear()
            await chat.answer("Your profile is gone, so the setup stopped. /profile starts it again.")
            return
        try:
            profile = updated(stored.profile, changes)
        except FieldError as exc:
            await chat.answer(f"⚠️ {escape(spec.label)}: {escape(str(exc))}")
            await _ask_question(chat, state, spec)
            return
        await profiles.update_fields(chat.chat.id, profile, source=SETUP_SOURCE)
    await remove_buttons(bot, chat.chat.id, (await state.get_data()).get("prompt"))
    following = QUESTIONS.index(spec.field) + 1
    if following < len(QUESTIONS):
        await _ask_question(chat, state, FIELDS[QUESTIONS[following]])
        return
    await state.clear()
    await show_profile(
        chat,
        profiles,
        answers,
        note="✅ Your profile is ready. Change any field with the buttons below; /answers shows your saved answers.",
    )


async def _current_field(state: FSMContext, field: ProfileField) -> bool:
    return (await state.get_data()).get("field") == field.value


# --------------------------------------------------------------------------- all steps


async def ask_current_step(chat: Message, state: FSMContext) -> None:
    """Ask again whatever the setup is waiting for (after /profile, a wrong kind of message, a restart)."""
    step = await state.get_state()
    data = await state.get_data()
    if step == Setup.resume.state:
        await _ask_resume(chat, state)
    elif step == Setup.contacts.state:
        await _show_contacts(chat, state)
    elif step == Setup.contact_value.state:
        await _ask_contact(chat, state, FIELDS[ProfileField(data.get("field", CONTACTS[0]))])
    elif step == Setup.question.state:
        await _ask_question(chat, state, FIELDS[ProfileField(data.get("field", QUESTIONS[0]))])


async def _stop(chat: Message, state: FSMContext, bot: Bot, profiles: ProfileRepository) -> None:
    await remove_buttons(bot, chat.chat.id, (await state.get_data()).get("prompt"))
    await state.clear()
    if await profiles.get(chat.chat.id) is None:
        await chat.answer("Setup stopped; nothing was saved. /profile starts it again.")
    else:
        await chat.answer("Setup stopped. What you confirmed is saved: /profile shows it and changes any field.")


# Buttons are answered once their step is stored, so the tap's spinner ends when the dialog has moved on.
_in_setup = StateFilter(Setup)
_not_a_command = ~F.text.startswith("/")
_starts_another_dialog = or_f(ProfileEdit.filter(), AnswersButton.filter(F.move.in_({AnswerMove.ADD, AnswerMove.EDIT})))


async def on_cancel(message: Message, state: FSMContext, bot: Bot, profiles: ProfileRepository) -> None:
    if await state.get_state() in Setup.__all_states_names__:
        await _stop(message, state, bot, profiles)
    else:
        await message.answer("There is no profile setup in progress.")


async def on_profile_again(message: Message, state: FSMContext) -> None:
    await ask_current_step(message, state)


async def on_start(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(Setup.resume)
    await _ask_resume(message, state, intro=INTRO)


async def on_stop(
    query: CallbackQuery, message: Message, state: FSMContext, bot: Bot, profiles: ProfileRepository
) -> None:
    await _stop(message, state, bot, profiles)
    await query.answer("Stopped.")


async def on_other_dialog(query: CallbackQuery) -> None:
    await query.answer("Finish the profile setup first, or stop it with /cancel_setup.", show_alert=True)


# step 1 ---------------------------------------------------------------
async def on_resume(message: Message, document: Document, state: FSMContext, bot: Bot) -> None:
    await _take_resume(message, document, state, bot)


async def on_no_resume(query: CallbackQuery, message: Message, state: FSMContext, bot: Bot) -> None:
    await remove_buttons(bot, message.chat.id, (await state.get_data()).get("prompt"))
    await state.set_data({"resume": None, "summary": None, "draft": {}})
    await state.set_state(Setup.contacts)
    await _show_contacts(message, state)
    await query.answer()


async def on_not_a_resume(message: Message, state: FSMContext) -> None:
    await message.answer("⚠️ I need your résumé as a document (📎 → File): a PDF or DOCX file.")
    await _ask_resume(message, state)


# step 2 ---------------------------------------------------------------
async def on_confirm(
    query: CallbackQuery, message: Message, state: FSMContext, bot: Bot, profiles: ProfileRepository
) -> None:
    await _confirm_contacts(query, message, state, bot, profiles)


async def on_change_contact(
    query: CallbackQuery, callback_data: SetupButton, message: Message, state: FSMContext, bot: Bot
) -> None:
    if callback_data.field not in CONTACTS:
        await query.answer("That button is not valid.")
        return
    await remove_buttons(bot, message.chat.id, (await state.get_data()).get("prompt"))
    await _ask_contact(message, state, FIELDS[callback_data.field])
    await query.answer()


async def on_contact_value(message: Message, text: str, state: FSMContext, bot: Bot) -> None:
    spec = FIELDS[ProfileField((await state.get_data())["field"])]
    try:
        changes = spec.changes_for_text(text)
    except FieldError as exc:
        await message.answer(f"⚠️ {escape(spec.label)}: {escape(str(exc))}")
        await _ask_contact(message, state, spec)
        return
    await _set_contact(message, state, bot, spec, changes)


async def on_contact_button(
    query: CallbackQuery, callback_data: FieldButton, message: Message, state: FSMContext, bot: Bot
) -> None:
    if not await _current_field(state, callback_data.field):
        await query.answer("That question is closed.")
        return
    spec = FIELDS[callback_data.field]
    changes = spec.cleared if callback_data.move is FieldMove.CLEAR else None
    await _set_contact(message, state, bot, spec, changes)
    await query.answer()


# step 3 ---------------------------------------------------------------
async def on_answer(
    message: Message, text: str, state: FSMContext, bot: Bot, profiles: ProfileRepository, answers: AnswerRepository
) -> None:
    spec = FIELDS[ProfileField((await state.get_data())["field"])]
    try:
        changes = spec.changes_for_text(text)
    except FieldError as exc:
        await message.answer(f"⚠️ {escape(spec.label)}: {escape(str(exc))}")
        await _ask_question(message, state, spec)
        return
    await _answer_question(message, state, bot, profiles, answers, spec, changes)


async def on_answer_button(
    query: CallbackQuery,
    callback_data: FieldButton,
    message: Message,
    state: FSMContext,
    bot: Bot,
    profiles: ProfileRepository,
    answers: AnswerRepository,
) -> None:
    if not await _current_field(state, callback_data.field):
        await query.answer("That question was answered already.")
        return
    spec = FIELDS[callback_data.field]
    changes = None
    if callback_data.move is FieldMove.PICK:
        try:
            changes = spec.choice(callback_data.choice).changes
        except FieldError as exc:
            await query.answer(str(exc))
            return
        if changes is None:
            await query.answer(TYPE_IT, show_alert=True)
            return
    await _answer_question(message, state, bot, profiles, answers, spec, changes)
    await query.answer("Skipped." if changes is None else "Saved.")


# anything else during the setup ---------------------------------------------
async def on_unexpected(message: Message, state: FSMContext) -> None:
    step = await state.get_state()
    hint = "tap a button" if step == Setup.contacts.state else "send your answer as text or tap a button"
    await message.answer(f"⚠️ I did not expect that here: please {hint}.")
    await ask_current_step(message, state)


async def on_first_resume(message: Message, document: Document, state: FSMContext, bot: Bot) -> None:
    await state.clear()
    await state.set_state(Setup.resume)
    await _take_resume(message, document, state, bot)


def router() -> Router:
    """The handlers above on a router of their own (a fresh one for each dispatcher)."""
    r = Router(name=__name__)
    r.callback_query.filter(in_own_chat)
    r.message.register(on_cancel, Command("cancel_setup"))
    r.message.register(on_profile_again, Command("profile"), _in_setup)
    r.message.register(on_start, Command("profile"), _without_profile)
    r.callback_query.register(on_stop, SetupButton.filter(F.move == SetupMove.STOP), _in_setup)
    r.callback_query.register(on_other_dialog, _in_setup, _starts_another_dialog)
    r.message.register(on_resume, Setup.resume, F.document.as_("document"))
    r.callback_query.register(on_no_resume, SetupButton.filter(F.move == SetupMove.NO_RESUME), Setup.resume)
    r.message.register(on_not_a_resume, Setup.resume, _not_a_command)
    r.callback_query.register(on_confirm, SetupButton.filter(F.move == SetupMove.CONFIRM), Setup.contacts)
    r.callback_query.register(on_change_contact, SetupButton.filter(F.move == SetupMove.EDIT), Setup.contacts)
    r.message.register(on_contact_value, Setup.contact_value, F.text.as_("text"), _not_a_command)
    r.callback_query.register(
        on_contact_button, FieldButton.filter(F.move.in_({FieldMove.KEEP, FieldMove.CLEAR})), Setup.contact_value
    )
    r.message.register(on_answer, Setup.question, F.text.as_("text"), _not_a_command)
    r.callback_query.register(
        on_answer_button, FieldButton.filter(F.move.in_({FieldMove.PICK, FieldMove.KEEP})), Setup.question
    )
    r.message.register(on_unexpected, _in_setup, _not_a_command)
    r.message.register(on_first_resume, F.document.as_("document"), _is_pdf_or_docx, _without_profile)
    return r
