"""The profile's fields as the chat asks for them: the catalogue (how each field is asked, read from
a reply and shown), the checks that turn answers into a valid Profile, and the views built on it
(the profile as text, its Edit buttons, a field's choices as buttons). Used by /profile
(handlers/profile.py) and the guided setup (handlers/onboarding.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlsplit

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import ValidationError

from automation.resume_text import split_name
from handlers.callbacks import FieldButton, FieldMove, ProfileEdit, ProfileField
from storage.errors import NyxError
from storage.models import DECLINE, Profile, RemotePreference

MAX_SHOWN = 200  # characters of one value in the profile view, which must fit one message
MAX_LINK = 500
MAX_ITEMS, MAX_ITEM = 100, 100

Data = Mapping[str, Any]  # a profile's fields as JSON: a Profile dump, or the setup's incomplete draft


class FieldError(NyxError, ValueError):
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
        wanted = _normalised(text)
        for choice in self.choices:
            if choice.changes is not None and _normalised(choice.label) == wanted:
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


def _normalised(text: str) -> str:
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
        field,
        EEO,
        label,
        question,
        _nested("eeo", key),
        parse=parse,
        choices=choices + (Choice("Decline to answer", decline),),
        cleared=decline,
    )


CONTACT, WORK, AUTHORISATION, PREFERENCES, EEO = (
    "Contact",
    "Work",
    "Work authorisation",
    "Preferences",
    "Equal opportunity (voluntary)",
)
YES_NO = {"Yes": True, "No": False}
PF = ProfileField
_SPECS = (
    FieldSpec(
        PF.NAME, CONTACT, "Name", "Your first and last name, as forms should show them?", _full_name, parse=_parse_name
    ),
    FieldSpec(
        PF.EMAIL,
        CONTACT,
        "E-mail",
        "Which e-mail address should applications use?",
        _top("email"),
        parse=lambda text: {"email": text},
    ),
    _text(PF.PHONE, CONTACT, "Phone", "phone", "Your phone number, as forms should show it (e.g. +44 20 7946 0000)?"),
    _link(PF.LINKEDIN, "LinkedIn", "linkedin", "linkedin.com", "The address of your LinkedIn profile?"),
    _link(PF.GITHUB, "GitHub", "github", "github.com", "The address of your GitHub profile?"),
    _link(PF.WEBSITE, "Website", "website", None, "The address of your website or portfolio?"),
    _text(PF.LOCATION, CONTACT, "Location", "location", "Where are you based? City and country, e.g. London, UK."),
    _text(PF.HEADLINE, WORK, "Headline", "headline", "Your role in a few words, e.g. Senior Backend Engineer?"),
    _text(PF.COMPANY, WORK, "Current company", "current_company", "Where do you work now?"),
    FieldSpec(
        PF.YEARS,
        WORK,
        "Years of experience",
        "How many years of professional experience do you have?",
        _top("years_experience"),
        parse=_parse_years,
        cleared={"years_experience": None},
    ),
    _list(PF.SKILLS, WORK, "Skills", "skills", "Your main skills, separated by commas?"),
    _list(
        PF.WORK_AUTHORIZATION,
        AUTHORISATION,
        "Work authorisation",
        "work_authorization",
        "In which countries or regions may you work without visa sponsorship? Separate them with commas, e.g. UK, EU.",
    ),
    _one_of(
        PF.SPONSORSHIP,
        AUTHORISATION,
        "Needs visa sponsorship",
        "needs_sponsorship",
        "Will you now or in the future need visa sponsorship to work?",
        YES_NO,
    ),
    _text(
        PF.SALARY,
        PREFERENCES,
        "Salary expectation",
        "salary_expectation",
        "Your salary expectation, as you would write it on a form (e.g. £85,000 a year)?",
    ),
    _text(
        PF.NOTICE,
        PREFERENCES,
        "Notice period",
        "notice_period",
        "How soon could you start?",
        suggestions=("Immediately", "2 weeks", "1 month", "3 months"),
    ),
    _one_of(
        PF.RELOCATION,
        PREFERENCES,
        "Willing to relocate",
        "willing_to_relocate",
        "Are you willing to relocate for a job?",
        YES_NO,
    ),
    _one_of(
        PF.REMOTE,
        PREFERENCES,
        "Remote preference",
        "remote_preference",
        "How do you want to work?",
        {
            "Remote": RemotePreference.REMOTE.value,
            "Hybrid": RemotePreference.HYBRID.value,
            "On-site": RemotePreference.ONSITE.value,
            "Any": RemotePreference.ANY.value,
        },
    ),
    _eeo(
        PF.GENDER,
        "Gender",
        "gender",
        "Your gender? You may also type how you describe yourself.",
        ("Female", "Male", "Non-binary"),
        typed=True,
    ),
    _eeo(
        PF.RACE,
        "Race/ethnicity",
        "race",
        "Your race or ethnicity?",
        (
            "American Indian or Alaska Native",
            "Asian",
            "Black or African American",
            "Hispanic or Latino",
            "Native Hawaiian or Other Pacific Islander",
            "White",
            "Two or more races",
        ),
    ),
    _eeo(
        PF.VETERAN,
        "Veteran status",
        "veteran",
        "Are you a protected veteran?",
        ("I am a protected veteran", "I am not a protected veteran"),
    ),
    _eeo(
        PF.DISABILITY,
        "Disability",
        "disability",
        "Do you have a disability?",
        ("Yes, I have a disability", "No, I do not have a disability"),
    ),
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


def field_button(spec: FieldSpec, move: FieldMove, text: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=FieldButton(field=spec.field, move=move).pack())
