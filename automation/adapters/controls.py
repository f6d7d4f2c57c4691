"""Putting an answer into one question of a form, whatever its control.

Owns answering a `Question` (text, textarea, select, radio or checkbox group, lone
checkbox, file): choosing the option an answer means ("Yes" for "yes, I am", "Python,
PostgreSQL" for two boxes) and saying what the field should then show, so that reading it
back reveals any difference. Shared by every adapter that reads its form as questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from automation import page_js
from automation.adapters.profile_values import best_place, international_number, phone_country, unmatched_country
from automation.questions import Choice, Question, QuestionKind, best_option, choose, choose_many, option_key, polarity

if TYPE_CHECKING:
    from browser_use import BrowserSession

Answer = str | Path | None  # text to type or an option to match; a file to attach; None: leave it

# "Consent", "GDPR", "privacy notice", "I agree to the terms": boxes that are ticked only when required.
CONSENT_WORDS = re.compile(r"\b(consent|gdpr|privacy|data protection|agree|accept|terms)\b")
# Options first (a country code before its number), then text, then files.
FILL_ORDER = {"select": 0, "listbox": 0, "radio": 0, "checkbox": 0, "file": 2}
# A list control drawn by the page (page_js.read_lists): a toggle that opens a list of options.
LISTBOX = "listbox"
LIST_OPEN_TIMEOUT_S = 3.0
LIST_PROBE_TIMEOUT_S = 1.0  # a toggle whose options do not show by then opens something else (a dialog)


@dataclass(frozen=True)
class Planned:
    """A question and what its reading should show once answered (None: nothing was put there)."""

    question: Question
    intended: str | None


def is_consent(question: Question) -> bool:
    """A single checkbox that gives consent or accepts terms."""
    if question.kind != "checkbox" or len(question.choices) != 1:
        return False
    return bool(CONSENT_WORDS.search(option_key(f"{question.name} {question.label} {question.choices[0].label}")))


def fill_order(question: Question) -> int:
    return FILL_ORDER.get(question.kind, 1)


async def fill_questions(browser: BrowserSession, answers: Sequence[tuple[Question, Answer]]) -> list[Planned]:
    """Answer every question in FILL_ORDER; returns the plan in the questions' own order."""
    intended: dict[str, str | None] = {}
    for question, answer in sorted(answers, key=lambda pair: fill_order(pair[0])):
        intended[question.selector] = await fill_question(browser, question, answer)
    return [Planned(question, intended[question.selector]) for question, _ in answers]


async def fill_question(browser: BrowserSession, question: Question, answer: Answer) -> str | None:
    """Put one answer on the page; returns what its reading should then show."""
    if answer is None:
        return None
    if question.kind == "file":
        path = Path(answer)
        await page_js.set_files(browser, question.selector, [path])
        return path.name
    text = str(answer)
    if question.kind in ("text", "textarea"):
        await page_js.set_value(browser, question.selector, text)
        return text
    if question.kind == "checkbox" and len(question.choices) == 1:
        return await _tick(browser, question.choices[0], text)
    if question.kind == "checkbox":
        return await _tick_many(browser, question, text)
    index = choose(text, question.choices)
    if index is None:
        return text  # no option says it: the reading shows the difference
    choice = question.choices[index]
    if question.kind == LISTBOX:
        return await pick_from_list(browser, question.selector, choice.label) or text
    if question.kind == "select":
        await page_js.set_value(browser, question.selector, choice.value)
    else:
        await page_js.set_checked(browser, choice.selector, True)
    return choice.label


async def _tick(browser: BrowserSession, choice: Choice, text: str) -> str:
    tick = polarity(text)
    if tick is None:
        tick = best_option(text, [choice.label]) is not None
    await page_js.set_checked(browser, choice.selector, tick)
    return "Yes" if tick else ""


async def _tick_many(browser: BrowserSession, question: Question, text: str) -> str:
    picked = choose_many(text, question.choices)
    if picked is None:
        return text  # nothing to tick for it: the reading shows the difference
    for i, choice in enumerate(question.choices):
        await page_js.set_checked(browser, choice.selector, i in picked)
    return ", ".join(question.choices[i].label for i in picked)


async def pick_from_list(browser: BrowserSession, toggle: str, label: str) -> str | None:
    """Open a list control and click the option that reads `label`; returns it, or None (the list is
    closed again) when no option does."""
    shown_options = await page_js.open_list(browser, toggle, LIST_OPEN_TIMEOUT_S) or []
    keys = [option_key(text) for text in shown_options]
    if option_key(label) not in keys:
        await page_js.close_list(browser, toggle)
        return None
    await page_js.pick_open_list(browser, keys.index(option_key(label)))
    return label


async def list_questions(
    browser: BrowserSession, root_selector: str, known: dict[str, tuple[Choice, ...]]
) -> list[Question]:
    """The page's list controls with their options. Those whose options the page does not hold until
    opened are opened once to read them (`known` keeps what was read, by toggle); a toggle that shows no
    options (an upload's "Select" menu, a dialog) is no question."""
    questions = []
    for row in await page_js.read_lists(browser, root_selector):
        selector, listed = row["selector"], row.pop("known")
        choices = tuple(Choice(**choice) for choice in row.pop("choices"))
        if not listed:
            if selector not in known:
                texts = await page_js.open_list(browser, selector, LIST_PROBE_TIMEOUT_S) or []
                await page_js.close_list(browser, selector)
                known[selector] = tuple(
                    Choice(text, text, option_key(text) == option_key(row["value"]), "") for text in texts
                )
            choices = known[selector]
        if choices:
            questions.append(Question(**row, choices=choices))
    return questions


@dataclass(frozen=True)
class PhoneEntry:
    """A phone number put into a country picker and the number field beside it."""

    national: str  # what went into the number field
    # What the picker should then show: the option picked; when no option has the number's calling code, that
    # code (so the review shows the difference); None when the number and the location say nothing.
    country: str | None


async def pick_phone_country(
    browser: BrowserSession,
    phone: str,
    location: str | None,
    opener: str,
    options_selector: str,
    timeout_s: float,
) -> PhoneEntry:
    """Pick a phone number's country in a dropdown of countries with calling codes ("United Kingdom +44"):
    the one for its calling code, else (a number without one) the country `location` names.

    `opener` is clicked to show the options, which `options_selector` matches in page order. Returns what
    to type into the number field: the number without its calling code once a country is picked.
    """
    labels = await page_js.option_texts(browser, options_selector)
    index, national = phone_country(phone, location, labels)
    if index is None:
        return PhoneEntry(phone.strip(), unmatched_country(phone))
    if await open_and_click_nth(browser, opener, options_selector, index, timeout_s):
        return PhoneEntry(national, labels[index])
    return PhoneEntry(phone.strip(), labels[index])  # not picked: the review shows the difference


# A phone field's country picker (intl-tel-input, spl-phone-field), read as a page question of its own kind.
PHONE_COUNTRY = QuestionKind.PHONE_COUNTRY


def phone_country_question(questions: Sequence[Question]) -> Question | None:
    return next((q for q in questions if q.kind == PHONE_COUNTRY), None)


async def put_phone(
    browser: BrowserSession,
    phone: str | None,
    location: str | None,
    number_selector: str,
    country: Question,
    options_selector: str,
    timeout_s: float,
) -> tuple[str | None, str | None]:
    """Pick a phone number's country in a dropdown (`country`: its opener, showing the country now
    picked) and type the rest of the number into the field beside it.

    Returns what the number (with its calling code) and the country should then show.
    """
    if not phone:
        return None, None
    entry = await pick_phone_country(browser, phone, location, country.selector, options_selector, timeout_s)
    await page_js.set_value(browser, number_selector, entry.national)
    return international_number(entry.national, entry.country or country.value), entry.country


async def pick_country(
    browser: BrowserSession, name: str, country: Question, options_selector: str, timeout_s: float
) -> str:
    """Pick the option an answer names ("Portugal") in a country dropdown (`country`: its opener, with
    the options as choices); returns what it should then show (the answer itself when no option says it)."""
    labels = [choice.label for choice in country.choices]
    unique = list(dict.fromkeys(labels))  # a country may be listed twice (preferred ones first)
    best = best_option(name, unique)
    if best is None:
        return name
    index = labels.index(unique[best])
    await open_and_click_nth(browser, country.selector, options_selector, index, timeout_s)
    return labels[index]


async def open_and_click_nth(
    browser: BrowserSession, opener: str, options_selector: str, index: int, timeout_s: float
) -> bool:
    """Click `opener` to show a dropdown's options, then the index-th of them; False if they never showed."""
    await page_js.click(browser, opener)
    script = page_js.for_selectors(page_js.LISTED_OPTIONS_JS, options_selector)
    listed = await page_js.wait_until(browser, script, options_selector, timeout_s=timeout_s)
    return bool(listed) and await page_js.click_nth(browser, options_selector, index)


async def pick_place(
    browser: BrowserSession,
    selector: str,
    location: str,
    suggestions_js: str,
    *script_args: str,
    options_selector: str,
    timeout_s: float,
) -> str | None:
    """Type a location into a place search (then only its city) and click the suggestion it means.

    `suggestions_js(*script_args)` returns `{options: [...]}` once the search has answered for what is
    typed (`[]` for no place), else null; `options_selector` matches those options in the same order.
    Returns the picked place, or None: the field then still holds typed text, for the caller to drop.
    """
    terms = dict.fromkeys([location.strip(), location.split(",", 1)[0].strip()])
    script = page_js.for_selectors(suggestions_js, *script_args)
    for term in filter(None, terms):
        if not await page_js.type_text(browser, selector, term):
            return None
        answered = await page_js.wait_until(browser, script, *script_args, timeout_s=timeout_s)
        places: list[str] = answered["options"] if answered else []
        index = best_place(location, places)
        if index is not None and await page_js.click_nth(browser, options_selector, index):
            return places[index]
    return None


def shown(question: Question) -> str:
    """A question's value as the review shows it; a lone checkbox reads "Yes" when ticked."""
    if question.kind == "checkbox" and len(question.choices) == 1:
        return "Yes" if question.choices[0].checked else ""
    return question.value
