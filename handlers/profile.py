"""The profile in the chat: its fields (how each is asked, read from a reply and shown), /profile
with an Edit button per field, and profile (YAML/JSON) or résumé documents sent outside the
guided setup (handlers/onboarding.py asks for a profile when there is none)."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from pydantic import ValidationError

from automation.resume_text import (
    SUPPORTED_SUFFIXES,
    ResumeReadError,
    read_text,
    split_name,
)
from handlers.callbacks import FieldButton, FieldMove, ProfileEdit, ProfileField
from storage.answers import AnswerRepository, AnswerSource
from storage.files import UploadedFile
from storage.models import DECLINE, Profile, RemotePreference
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
MAX_SHOWN = 200  # characters of one value in the profile view, which must fit one message
MAX_LINK = 500
MAX_ITEMS, MAX_ITEM = 100, 100

Data = Mapping[str, Any]  # a profile's fields as JSON: a Profile dump, or the setup's incomplete draft


class FieldError(ValueError):
    """An answer that cannot become the field's value; the message says what to send instead."""


# --------------------------------------------------------------------------- the fields


@dataclass(frozen=True)
class Choice:
    label: str
    changes: Mapping[str, Any] | None  # None: the user types the value ("Other")


@dataclass(frozen=True)
class FieldSpec:
    """How one profile field is asked for, read from a reply, and shown."""

    field: ProfileField
    section: str
    label: str
    question: str
    read: Callable[[Data], Any]
    parse: Callable[[str], dict[str, Any]] | None = None  # typed answer -> changes; None: buttons only
    choices: tuple[Choice, ...] = ()
    cleared: Mapping[str, Any] | None = None  # the changes that empty it; None: the field is required

    def display(self, data: Data) -> str:
        value = self.read(data)
        for choice in self.choices:
            if choice.changes is not None and self.read(choice.changes) == value:
                return choice.label
        shown = _format(value)
        return shown if len(shown) <= MAX_SHOWN else shown[: MAX_SHOWN - 1] + "…"

    def changes_for_text(self, text: str) -> dict[str, Any]:
        text = text.strip()
        wanted = _normalized(text)
        for choice in self.choices:
            if choice.changes is not None and _normalized(choice.label) == wanted:
                return dict(choice.changes)
        if self.parse is None:
            raise FieldError("please tap one of the buttons.")
        if not text:
            raise FieldError("the answer is empty.")
        return self.parse(text)

    @property
    def clearable(self) -> bool:
        """Has an empty value that no button offers already (the EEO fields' "Decline to answer" does)."""
        return self.cleared is not None and all(choice.changes != self.cleared for choice in self.choices)

    def choice(self, index: int) -> Choice:
        if not 0 <= index < len(self.choices):
            raise FieldError("that button is not one of this question's answers.")
        return self.choices[index]


def _format(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _normalized(text: str) -> str:
    return re.sub(r"[^\w]", "", text.casefold())


def _top(key: str) -> Callable[[Data], Any]:
    return lambda data: data.get(key)


def _nested(group: str, key: str) -> Callable[[Data], Any]:
    return lambda data: (data.get(group) or {}).get(key)


def _full_name(data: Data) -> str | None:
    return " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part) or None


def _parse_name(text: str) -> dict[str, Any]:
    parts = split_name(text)
    if parts is None:
        raise FieldError("please send your first and last name, e.g. Ada Lovelace.")
    return {"first_name": parts[0], "last_name": parts[1]}


def _parse_years(text: str) -> dict[str, Any]:
    found = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*(?:years?|yrs?)?", text, re.IGNORECASE)
    if found is None:
        raise FieldError("please send a number of years, e.g. 7 or 2.5.")
    return {"years_experience": float(found.group(1).replace(",", "."))}


def _web_address(text: str, site: str | None) -> str:
    url = text if text.lower().startswith(("http://", "https://")) else "https://" + text
    try:
        host = (urlsplit(url).hostname or "").casefold()
    except ValueError:
        host = ""
    if " " in url or "." not in host:
        raise FieldError("that does not look like a web address; send one like https://example.org.")
    if len(url) > MAX_LINK:
        raise FieldError(f"that address is longer than {MAX_LINK} characters.")
    if site and host != site and not host.endswith("." + site):
        raise FieldError(f"that is not a {site} address.")
    return url


def _separated(text: str) -> list[str]:
    """Items separated by commas, semicolons or lines, each once."""
    items = list(dict.fromkeys(item.strip() for item in re.split(r"[,;\n]", text) if item.strip()))
    if len(items) > MAX_ITEMS or any(len(item) > MAX_ITEM for item in items):
        raise FieldError(f"send at most {MAX_ITEMS} items of up to {MAX_ITEM} characters, separated by commas.")
    return items


# Builders for the kinds of field below; `key` is the Profile attribute.


def _text(
    field: ProfileField, section: str, label: str, key: str, question: str, *, suggestions: tuple[str, ...] = ()
) -> FieldSpec:
    """Free text; suggestions become buttons, followed by "Other" (type it)."""
    choices = tuple(Choice(s, {key: s}) for s in suggestions) + ((Choice("Other", None),) if suggestions else ())
    return FieldSpec(
        field, section, label, question, _top(key), parse=lambda text: {key: text}, choices=choices, cleared={key: None}
    )


def _list(field: ProfileField, section: str, label: str, key: str, question: str) -> FieldSpec:
    return FieldSpec(
        field, section, label, question, _top(key), parse=lambda text: {key: _separated(text)}, cleared={key: []}
    )


def _one_of(
    field: ProfileField, section: str, label: str, key: str, question: str, options: Mapping[str, Any]
) -> FieldSpec:
    """Buttons only (typed answers must name one): button label -> value."""
    choices = tuple(Choice(name, {key: value}) for name, value in options.items())
    return FieldSpec(field, section, label, question, _top(key), choices=choices, cleared={key: None})


def _link(field: ProfileField, label: str, kind: str, site: str | None, question: str) -> FieldSpec:
    def parse(text: str) -> dict[str, Any]:
        return {"links": {kind: _web_address(text, site)}}

    return FieldSpec(
        field, CONTACT, label, question, _nested("links", kind), parse=parse, cleared={"links": {kind: None}}
    )


def _eeo(
    field: ProfileField, label: str, key: str, question: str, options: tuple[str, ...], *, typed: bool = False
) -> FieldSpec:
    """Voluntary self-identification: the options, then "Decline to answer", which is also the default."""
    decline = {"eeo": {key: DECLINE}}
    choices = tuple(Choice(option, {"eeo": {key: option}}) for option in options)
    parse = (lambda text: {"eeo": {key: text}}) if typed else None
    return FieldSpec(
        field, EEO, label, question, _nested("eeo", key), parse=parse,
        choices=choices + (Choice("Decline to answer", decline),), cleared=decline,
    )


CONTACT, WORK, AUTHORISATION, PREFERENCES, EEO = (
    "Contact", "Work", "Work authorisation", "Preferences", "Equal opportunity (voluntary)",
)
YES_NO = {"Yes": True, "No": False}
PF = ProfileField
_SPECS = (
    FieldSpec(PF.NAME, CONTACT, "Name", "Your first and last name, as forms should show them?",
              _full_name, parse=_parse_name),
    FieldSpec(PF.EMAIL, CONTACT, "E-mail", "Which e-mail address should applications use?",
              _top("email"), parse=lambda text: {"email": text}),
    _text(PF.PHONE, CONTACT, "Phone", "phone", "Your phone number, as forms should show it (e.g. +44 20 7946 0000)?"),
    _link(PF.LINKEDIN, "LinkedIn", "linkedin", "linkedin.com", "The address of your LinkedIn profile?"),
    _link(PF.GITHUB, "GitHub", "github", "github.com", "The address of your GitHub profile?"),
    _link(PF.WEBSITE, "Website", "website", None, "The address of your website or portfolio?"),
    _text(PF.LOCATION, CONTACT, "Location", "location", "Where are you based? City and country, e.g. London, UK."),
    _text(PF.HEADLINE, WORK, "Headline", "headline", "Your role in a few words, e.g. Senior Backend Engineer?"),
    _text(PF.COMPANY, WORK, "Current company", "current_company", "Where do you work now?"),
    FieldSpec(PF.YEARS, WORK, "Years of experience", "How many years of professional experience do you have?",
              _top("years_experience"), parse=_parse_years, cleared={"years_experience": None}),
    _list(PF.SKILLS, WORK, "Skills", "skills", "Your main skills, separated by commas?"),
    _list(PF.WORK_AUTHORIZATION, AUTHORISATION, "Work authorisation", "work_authorization",
          "In which countries or regions may you work without visa sponsorship? "
          "Separate them with commas, e.g. UK, EU."),
    _one_of(PF.SPONSORSHIP, AUTHORISATION, "Needs visa sponsorship", "needs_sponsorship",
            "Will you now or in the future need visa sponsorship to work?", YES_NO),
    _text(PF.SALARY, PREFERENCES, "Salary expectation", "salary_expectation",
          "Your salary expectation, as you would write it on a form (e.g. £85,000 a year)?"),
    _text(PF.NOTICE, PREFERENCES, "Notice period", "notice_period", "How soon could you start?",
          suggestions=("Immediately", "2 weeks", "1 month", "3 months")),
    _one_of(PF.RELOCATION, PREFERENCES, "Willing to relocate", "willing_to_relocate",
            "Are you willing to relocate for a job?", YES_NO),
    _one_of(PF.REMOTE, PREFERENCES, "Remote preference", "remote_preference", "How do you want to work?", {
        "Remote": RemotePreference.REMOTE.value, "Hybrid": RemotePreference.HYBRID.value,
        "On-site": RemotePreference.ONSITE.value, "Any": RemotePreference.ANY.value,
    }),
    _eeo(PF.GENDER, "Gender", "gender", "Your gender? You may also type how you describe yourself.",
         ("Female", "Male", "Non-binary"), typed=True),
    _eeo(PF.RACE, "Race/ethnicity", "race", "Your race or ethnicity?", (
        "American Indian or Alaska Native", "Asian", "Black or African American", "Hispanic or Latino",
        "Native Hawaiian or Other Pacific Islander", "White", "Two or more races")),
    _eeo(PF.VETERAN, "Veteran status", "veteran", "Are you a protected veteran?",
         ("I am a protected veteran", "I am not a protected veteran")),
    _eeo(PF.DISABILITY, "Disability", "disability", "Do you have a disability?",
         ("Yes, I have a disability", "No, I do not have a disability")),
)
del PF
FIELDS: dict[ProfileField, FieldSpec] = {spec.field: spec for spec in _SPECS}


def _merged(data: Data, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with `changes`; a nested group (links, eeo) is merged key by key."""
    merged = dict(data)
    for key, value in changes.items():
        current = merged.get(key)
        merged[key] = {**current, **value} if isinstance(value, Mapping) and isinstance(current, Mapping) else value
    return merged


def _explain(error: Mapping[str, Any]) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


def updated(profile: Profile, changes: Mapping[str, Any]) -> Profile:
    """The profile with `changes`, checked by the Profile model; FieldError says what is wrong."""
    try:
        return Profile.model_validate(_merged(profile.model_dump(mode="json"), changes))
    except ValidationError as exc:
        raise FieldError(_explain(exc.errors()[0])) from None


def draft_with(draft: Data, changes: Mapping[str, Any]) -> dict[str, Any]:
    """An unfinished profile (the setup's draft) with `changes`, each changed field checked by the Profile
    model; fields nobody has given yet are not a problem until the draft is saved."""
    merged = _merged(draft, changes)
    try:
        Profile.model_validate(merged)
    except ValidationError as exc:
        problems = [error for error in exc.errors() if error["loc"] and error["loc"][0] in changes]
        if problems:
            raise FieldError(_explain(problems[0])) from None
    return merged


# --------------------------------------------------------------------------- showing and asking


def describe(profile: Profile, resume_name: str | None, answer_count: int | None = None) -> str:
    data = profile.model_dump(mode="json")
    lines = ["<b>Your profile</b>"]
    section = None
    for spec in FIELDS.values():
        if spec.section != section:
            if section == CONTACT:
                lines += _other_links(data)
            section = spec.section
            lines += ["", f"<i>{escape(section)}</i>"]
        lines.append(f"{spec.label}: {escape(spec.display(data))}")
    lines += ["", f"Résumé: {escape(resume_name) if resume_name else '— (send a PDF or DOCX)'}"]
    if profile.summary:
        lines.append(f"Résumé text: {len(profile.summary):,} characters")
    count = len(profile.answers) if answer_count is None else answer_count
    lines.append(f"Saved answers: {count} (/answers)")
    return "\n".join(lines)


def _other_links(data: Data) -> list[str]:
    """Links a profile file may name beyond the three asked for (portfolio, blog, ...)."""
    asked = {"linkedin", "github", "website"}
    others = [f"{name}: {url}" for name, url in data["links"].items() if url and name not in asked]
    return ["Other links: " + escape(", ".join(others))] if others else []


def edit_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=f"✏️ {spec.label}", callback_data=ProfileEdit(field=spec.field).pack())
        for spec in FIELDS.values()
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def choice_rows(spec: FieldSpec) -> list[list[InlineKeyboardButton]]:
    """The field's choices as buttons: long labels one to a row, short ones two."""
    buttons = [
        InlineKeyboardButton(
            text=choice.label, callback_data=FieldButton(field=spec.field, move=FieldMove.PICK, choice=i).pack()
        )
        for i, choice in enumerate(spec.choices)
    ]
    width = 1 if any(len(b.text) > 20 for b in buttons) else 2
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def in_own_chat(query: CallbackQuery) -> bool:
    """A button in the presser's own private chat; anyone else's press is left to the catch-all."""
    return query.message is not None and query.message.chat.id == query.from_user.id


def field_button(spec: FieldSpec, move: FieldMove, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=FieldButton(field=spec.field, move=move).pack())


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
    chat: Message, state: FSMContext, profiles: ProfileRepository, answers: AnswerRepository,
    spec: FieldSpec, changes: Mapping[str, Any],
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
    await remove_buttons(chat.bot, chat.chat.id, prompt)
    shown = escape(spec.display(profile.model_dump(mode="json")))
    await show_profile(chat, profiles, answers, note=f"Saved ✅ {escape(spec.label)}: {shown}")


async def _editing(state: FSMContext, field: ProfileField) -> bool:
    return await state.get_state() == EditProfile.value.state and (await state.get_data()).get("field") == field.value


# --------------------------------------------------------------------------- documents


async def _import_profile(message: Message, bot: Bot, profiles: ProfileRepository, answers: AnswerRepository) -> None:
    document = message.document
    name = document.file_name or "profile"
    if (document.file_size or 0) > MAX_PROFILE_BYTES:
        raise ProfileError(f"The profile file is larger than {MAX_PROFILE_BYTES // 1024} KiB.")
    profile = parse_profile(await download(bot, document.file_id), name)
    user_id = message.from_user.id
    # A profile sent in the chat keeps the résumé already on file.
    await profiles.update_fields(user_id, profile, source=f"telegram:{name}")
    for question, answer in profile.answers.items():
        await answers.save(user_id, question, answer, AnswerSource.PROFILE)
    stored = await profiles.get(user_id)
    resume_name = stored.resume.filename if stored and stored.resume else None
    count = len(await answers.list(user_id))
    await message.answer("Profile saved ✅\n\n" + describe(profile, resume_name, count), reply_markup=edit_keyboard())


async def _replace_resume(message: Message, bot: Bot, profiles: ProfileRepository) -> None:
    document = message.document
    name = document.file_name or "resume"
    if (document.file_size or 0) > MAX_RESUME_BYTES:
        raise ProfileError(f"The résumé is larger than {MAX_RESUME_BYTES // (1024 * 1024)} MiB.")
    upload = resume_upload(name, await download(bot, document.file_id))
    try:
        await profiles.replace_resume(message.from_user.id, upload)
    except LookupError:
        raise ProfileError("Set up your profile first: /profile.") from None
    note = await _refresh_summary(profiles, message.from_user.id, upload)
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


router = Router(name=__name__)
router.callback_query.filter(in_own_chat)


@router.message(Command("profile"))
async def on_profile(
    message: Message, state: FSMContext, profiles: ProfileRepository, answers: AnswerRepository
) -> None:
    if await state.get_state() == EditProfile.value.state:
        await remove_buttons(message.bot, message.chat.id, (await state.get_data()).get("prompt"))
        await state.clear()
    await show_profile(message, profiles, answers)


@router.callback_query(ProfileEdit.filter())
async def on_edit(
    query: CallbackQuery, callback_data: ProfileEdit, state: FSMContext, profiles: ProfileRepository
) -> None:
    stored = await profiles.get(query.from_user.id)
    if stored is None:
        await query.answer("That button is no longer valid.")
        return
    await _ask_new_value(query.message, state, stored.profile, FIELDS[callback_data.field])
    await query.answer()


@router.message(EditProfile.value, F.text, ~F.text.startswith("/"))
async def on_new_value(
    message: Message, state: FSMContext, profiles: ProfileRepository, answers: AnswerRepository
) -> None:
    spec = FIELDS[ProfileField((await state.get_data())["field"])]
    try:
        changes = spec.changes_for_text(message.text)
    except FieldError as exc:
        await message.answer(f"⚠️ {escape(spec.label)}: {escape(str(exc))}\nNothing was changed.")
        stored = await profiles.get(message.from_user.id)
        if stored is not None:
            await _ask_new_value(message, state, stored.profile, spec)
        return
    await _save_edit(message, state, profiles, answers, spec, changes)


@router.message(EditProfile.value, ~F.text.startswith("/"))
async def on_not_text(message: Message) -> None:
    await message.answer("Please send the new value as a text message, or tap a button under the question.")


@router.callback_query(FieldButton.filter(), EditProfile.value)
async def on_value_button(
    query: CallbackQuery, callback_data: FieldButton, state: FSMContext,
    profiles: ProfileRepository, answers: AnswerRepository,
) -> None:
    if not await _editing(state, callback_data.field):
        await query.answer("That question is closed.")
        return
    spec = FIELDS[callback_data.field]
    if callback_data.move is FieldMove.KEEP:
        await state.clear()
        await remove_buttons(query.bot, query.message.chat.id, query.message.message_id)
        await query.answer("Unchanged.")
        return
    try:
        if callback_data.move is FieldMove.CLEAR:
            changes = spec.cleared
        else:
            changes = spec.choice(callback_data.choice).changes
    except FieldError as exc:
        await query.answer(str(exc))
        return
    if changes is None:
        await query.answer(TYPE_IT, show_alert=True)
        return
    await _save_edit(query.message, state, profiles, answers, spec, changes)
    await query.answer()


@router.message(F.document)
async def on_document(message: Message, bot: Bot, profiles: ProfileRepository, answers: AnswerRepository) -> None:
    name = message.document.file_name or "document"
    suffix = Path(name).suffix.lower()
    try:
        if suffix in PROFILE_SUFFIXES:
            await _import_profile(message, bot, profiles, answers)
        elif suffix in RESUME_TYPES:
            await _replace_resume(message, bot, profiles)
        else:
            await message.answer(
                "I can read a profile (.yaml, .yml, .json) or a résumé (.pdf, .docx). "
                f"{escape(name)} is neither."
            )
    except ProfileError as exc:
        await message.answer(f"⚠️ {escape(str(exc))}\nNothing was changed.")
