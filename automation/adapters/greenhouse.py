"""Greenhouse application forms (job-boards.greenhouse.io and the classic boards.greenhouse.io).

Standard fields are found by id, link fields by id or label, custom questions
(`#question_<id>`: text, selects, react-select comboboxes, radio and checkbox groups, a lone
acknowledgement checkbox) by their label in the profile's saved answers. React-select comboboxes
take a picked option, never typed text: the phone's country is picked from the number's calling
code (or the location), "Location (City)" from the places the page suggests. The U.S. EEO section
(`#gender`, `#hispanic_ethnicity`, then `#race` once it shows, `#veteran_status`, `#disability_status`) is
answered from the profile's self-identification, declined by default. No LLM is involved.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    FilledForm,
    FillSource,
    SubmitResult,
    UnsupportedForm,
    normalised,
)
from automation.adapters.by_meaning import decide, meaning_of_question, standard_answer
from automation.adapters.controls import fill_question, is_consent, pick_place, shown
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import KINDS, PlannedField, PlannedForm, as_question, asks_question, attribution
from automation.adapters.profile_values import (
    best_place,
    eeo_answer,
    hispanic_answer,
    international_number,
    phone_country,
    race_answer,
)
from automation.adapters.standard_fields import (
    LOCATION_IDS,
    LOCATION_LABELS,
    STANDARD_FIELDS,
    file_for,
    intended_value,
)
from automation.adapters.vendors import VendorSignature
from automation.field_meaning import EEO_MEANINGS, Meaning
from automation.page_js import Control
from automation.questions import Question, QuestionKind

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

FORM_SELECTOR = "form#application-form, form.application--form, form#application_form"
GREENHOUSE_SIGNALS = SubmitSignals(
    ats="greenhouse",
    # Classic boards submit with <input type="button" id="submit_app" value="Submit Application">.
    submit_candidates=", ".join(
        f"{form} button, {form} input[type='submit'], {form} input[type='button']" for form in FORM_SELECTOR.split(", ")
    ),
    errors=".helper-text--error, .field-error-msg, #error_message, form [role='alert']",
    busy="form button[type='submit'][disabled], form [aria-busy='true']",
    confirmation_path=re.compile(r"/(confirmation|thank)", re.IGNORECASE),
)
GREENHOUSE = VendorSignature(
    name="greenhouse",
    form=FORM_SELECTOR,  # a collapsed form (waiting for "Apply") does not count until it shows
    fields=("#first_name", "#email"),
    hosts=re.compile(r"(job-)?boards(\.eu)?\.greenhouse\.io"),
    query_keys=frozenset({"gh_jid"}),  # a company's careers page that embeds its Greenhouse board
    submit=GREENHOUSE_SIGNALS.submit_candidates,
    embeds=("iframe#grnhse_iframe", "#grnhse_app iframe", "iframe[src*='greenhouse.io/embed/job_app']"),
)

PHONE_ID = "phone"
COUNTRY_ID = "country"  # the phone's country picker
FILE_IDS = ("resume", "cover_letter")

# The standard U.S. EEO section: field id -> how the profile answers it, given the field's options.
EEO_FIELDS: dict[str, Callable[[Sequence[str], Profile], str | None]] = {
    "gender": lambda options, profile: eeo_answer("gender", options, profile),
    "hispanic_ethnicity": hispanic_answer,
    "race": race_answer,  # shown only after "No" to Hispanic/Latino
    "veteran_status": lambda options, profile: eeo_answer("veteran", options, profile),
    "disability_status": lambda options, profile: eeo_answer("disability", options, profile),
}
REVEAL_ROUNDS = 3  # answers that make more questions show (race after Hispanic/Latino), filled in turn

# Meanings whose answer is one of the control's own options (decline wording, a country's name).
OPTION_MEANINGS = EEO_MEANINGS | {Meaning.COUNTRY, Meaning.REMOTE}
COMBOBOX = QuestionKind.COMBOBOX  # a react-select: its own kind of page question, answered by picking an option
MENU_TIMEOUT_S = 5.0  # a menu's options, or the place search's suggestions, to show
# A react-select's menu renders while the click is handled (no network), so it is there by the time the click
# returns, and the wait watches the DOM: 1 s is ample on a busy machine. Once one menu never opened (the
# page's scripts are not running), the others get only DEAD_MENU_TIMEOUT_S.
MENU_OPEN_TIMEOUT_S = 1.0
DEAD_MENU_TIMEOUT_S = 0.1


class GreenhouseAdapter(PlannedForm):
    name = "greenhouse"
    signature = GREENHOUSE

    def __init__(self) -> None:
        super().__init__()
        self._profile: Profile | None = None  # fills questions that show after `fill` (see _follow_shown_questions)
        self._menus_work = True  # False once a menu did not open: waiting 5 s on each of them again is pointless

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Greenhouse application form on this page.")
        self._profile = profile
        questions = await self.page_questions(browser)
        by_id = {question.id: question for question in questions if question.id}
        intended: dict[str, str | None] = {}
        for question in questions:
            if question.id == COUNTRY_ID and PHONE_ID in by_id:
                continue  # picked with the phone number
            if question.id == PHONE_ID and profile.phone:
                phone, country = await self._put_phone(browser, profile.phone, profile.location, by_id)
                intended[question.selector] = phone
                if COUNTRY_ID in by_id:
                    intended[by_id[COUNTRY_ID].selector] = country
                continue
            intended[question.selector] = await self._put_profile_answer(browser, question, profile, files)
        self.plan = [_planned(question, intended.get(question.selector), profile) for question in questions]
        await self._follow_shown_questions(browser, files)
        await self.wait_for_uploads(browser)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        """The form's questions; a react-select reads as a COMBOBOX showing its picked option."""
        questions = await page_js.read_questions(browser, FORM_SELECTOR)
        extras = await page_js.evaluate(browser, _EXTRAS_JS, FORM_SELECTOR) or {}
        picked, upload_labels = extras.get("picked", {}), extras.get("uploadLabels", {})
        return [
            dataclasses.replace(question, kind=COMBOBOX, value=picked[question.selector])
            if question.kind == "text" and question.selector in picked
            else dataclasses.replace(question, **upload_labels[question.selector])
            if question.kind == "file" and question.selector in upload_labels
            else question
            for question in questions
        ]

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        """As the page shows them; the phone number with the picked country's calling code before it."""
        questions = await self.page_questions(browser)
        values = {question.selector: shown(question) for question in questions}
        by_id = {question.id: question for question in questions if question.id}
        if PHONE_ID in by_id and COUNTRY_ID in by_id:
            phone = by_id[PHONE_ID]
            values[phone.selector] = international_number(values[phone.selector], by_id[COUNTRY_ID].value)
        return values

    async def questions(self, browser: BrowserSession) -> list[Question]:
        now = {question.selector: question for question in await self.page_questions(browser)}
        open_questions = []
        for field in self.plan:
            question = now.get(field.selector)
            if not field.is_question or field.intended is not None or question is None or shown(question).strip():
                continue
            if question.kind == COMBOBOX:
                options = tuple(await self._menu_options(browser, question))
                open_questions.append(as_question(field, question, options))
            else:
                open_questions.append(as_question(field, question))
        return open_questions

    async def put_answer(self, browser: BrowserSession, question: Question, value: str) -> str | None:
        if question.id == PHONE_ID:
            country = next((field for field in self.plan if field.selector == f"#{COUNTRY_ID}"), None)
            by_id = {q.id: q for q in await self.page_questions(browser) if q.id}
            phone, picked = await self._put_phone(browser, value, None, by_id)
            if country is not None and picked is not None:
                country.intended = picked
            return phone
        put = await self._put(browser, question, value)
        await self._follow_shown_questions(browser, ApplicantFiles(resume=None))
        return put

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, GREENHOUSE_SIGNALS)

    async def _put_profile_answer(
        self, browser: BrowserSession, question: Question, profile: Profile, files: ApplicantFiles
    ) -> str | None:
        """Put what the profile says into one question; returns what its reading should then show."""
        answer = _answer(question, profile, files)
        if answer is None and question.kind == COMBOBOX and question.id in EEO_FIELDS:
            answer = EEO_FIELDS[question.id](await self._menu_options(browser, question), profile)
        elif answer is None and question.kind == COMBOBOX and meaning_of_question(question) in OPTION_MEANINGS:
            # Its options say how to decline or how the profile's country is written: read them first.
            options = await self._menu_options(browser, question)
            answer = decide(question, profile, files, set(), options).value
        return await self._put(browser, question, answer)

    async def _follow_shown_questions(self, browser: BrowserSession, files: ApplicantFiles) -> None:
        """Keep the plan in step with questions an answer shows or hides (`#race` follows Hispanic/Latino):
        a question that shows is filled from the profile, one that went away leaves the plan."""
        profile = self._profile
        for _ in range(REVEAL_ROUNDS):
            now = await self.page_questions(browser)
            on_page = {question.selector for question in now}
            self.plan = [field for field in self.plan if field.selector in on_page or field.is_file]
            planned = {field.selector: field for field in self.plan}
            shown_now = [question for question in now if question.selector not in planned]
            if not shown_now or profile is None:
                return
            for question in shown_now:
                intended = await self._put_profile_answer(browser, question, profile, files)
                planned[question.selector] = _planned(question, intended, profile)
            self.plan = [planned[question.selector] for question in now if question.selector in planned]
            self.plan += [field for field in planned.values() if field.selector not in on_page]

    async def _put(self, browser: BrowserSession, question: Question, answer: str | Path | None) -> str | None:
        """Put one answer into its control; returns what its reading should then show."""
        if answer is None or question.kind != COMBOBOX:
            return await fill_question(browser, question, answer)
        text = str(answer)
        if _is_location(question):
            return await self._pick_place(browser, question, text) or text
        return await self._pick_option(browser, question, text) or text

    async def _put_phone(
        self, browser: BrowserSession, phone: str, location: str | None, by_id: dict[str, Question]
    ) -> tuple[str, str | None]:
        """Pick the country for the number (its calling code, else the location), then type the rest.

        Returns what the phone and the country should then show.
        """
        field, country = by_id[PHONE_ID], by_id.get(COUNTRY_ID)
        national, picked = phone.strip(), None
        if country is not None and country.kind == COMBOBOX:
            labels = await self._menu_options(browser, country, keep_open=True)
            index, national = phone_country(phone, location, labels)
            if index is not None and await page_js.click_nth(browser, _options_selector(country), index):
                picked = labels[index]
            else:
                await _blur(browser)
                national = phone.strip()
        await page_js.set_value(browser, field.selector, national)
        return international_number(national, picked or (country.value if country else "")), picked

    async def _menu_options(self, browser: BrowserSession, question: Question, keep_open: bool = False) -> list[str]:
        """A react-select's options, read by opening its menu (closed again unless `keep_open`)."""
        await page_js.click(browser, question.selector)
        listed = await page_js.wait_until(
            browser, page_js.LISTED_OPTIONS_JS, _options_selector(question), timeout_s=self._menu_timeout()
        )
        self._menus_work = self._menus_work and bool(listed)
        if not keep_open:
            await _blur(browser)
        return [text for text in listed or [] if text is not None]

    def _menu_timeout(self) -> float:
        return MENU_OPEN_TIMEOUT_S if self._menus_work else DEAD_MENU_TIMEOUT_S

    async def _pick_option(self, browser: BrowserSession, question: Question, answer: str) -> str | None:
        await page_js.click(browser, question.selector)
        options = _options_selector(question)
        chosen = await page_js.pick_listed_option(browser, options, answer, timeout_s=self._menu_timeout())
        if chosen is None:
            listed = await page_js.evaluate(browser, page_js.LISTED_OPTIONS_JS, options)
            self._menus_work = self._menus_work and bool(listed)
            await _blur(browser)
        return chosen

    async def _pick_place(self, browser: BrowserSession, question: Question, location: str) -> str | None:
        """Type the location (then only its city), and click the suggestion that best matches it."""
        if best_place(location, [question.value]) == 0:
            return question.value  # already picked
        picked = await pick_place(
            browser,
            question.selector,
            location,
            _SUGGESTIONS_JS,
            _shell_selector(question),
            options_selector=_options_selector(question),
            timeout_s=MENU_TIMEOUT_S,
        )
        if picked is None:
            await _blur(browser)
        return picked


def _answer(question: Question, profile: Profile, files: ApplicantFiles) -> str | Path | None:
    """What the profile says belongs in this question, or None if it says nothing."""
    if question.kind == "file":
        return file_for(question.id, files)
    if question.kind in ("radio", "checkbox"):
        return standard_answer(question, profile, files)
    if question.kind == COMBOBOX and _is_location(question):
        return profile.location
    tag = {"textarea": "textarea", "select": "select"}.get(question.kind, "input")
    role = "combobox" if question.kind == COMBOBOX else ""
    control = Control(question.id, question.selector, tag, "text", role, question.label, question.required, "")
    value = intended_value(control, profile, files)
    if value is None and question.kind != COMBOBOX:
        return standard_answer(question, profile, files)
    if value is None and meaning_of_question(question) not in OPTION_MEANINGS:
        return standard_answer(question, profile, files)  # a yes/no or text answer picks its option by itself
    return value


def _is_location(question: Question) -> bool:
    return question.id in LOCATION_IDS or normalised(question.label) in LOCATION_LABELS


def _planned(question: Question, intended: str | None, profile: Profile) -> PlannedField:
    standard = question.id in STANDARD_FIELDS or question.id == COUNTRY_ID or _is_location(question)
    answerable = (question.kind in KINDS or question.kind == COMBOBOX) and not is_consent(question)
    source, reason = attribution(question, intended, profile)
    return PlannedField(
        selector=question.selector,
        label=question.label,
        required=question.required,
        intended=intended,
        is_question=answerable and not standard and asks_question(question.label, profile),
        is_file=question.kind == "file",
        source=FillSource.ADAPTER if intended is not None and standard else source,
        reason=reason,
    )


def _shell_selector(question: Question) -> str:
    return f".select-shell:has({question.selector})"


def _options_selector(question: Question) -> str:
    return f"{_shell_selector(question)} [role='option']"


async def _blur(browser: BrowserSession) -> None:
    """Leave the focused control, which closes an open menu and drops text that was not picked."""
    await page_js.evaluate(browser, "() => document.activeElement && document.activeElement.blur()")


# Each react-select's input -> the option it shows as picked ("" for none); each file input -> the
# "Attach" box's label (`#upload-label-<id>`, not bound to the input) and whether it is required.
_EXTRAS_JS = """
(formSelector) => {
  const form = document.querySelector(formSelector) || document;
  const clean = (el) => el.innerText.replace(/[*\\u2731]/g, ' ').replace(/\\s+/g, ' ').trim();
  const picked = {};
  for (const input of form.querySelectorAll('input[role="combobox"][id]')) {
    const control = input.closest('.select__control, [class*="-control"]');
    const single = control && control.querySelector('.select__single-value, [class*="singleValue"]');
    picked['#' + CSS.escape(input.id)] = single ? clean(single) : '';
  }
  const uploadLabels = {};
  for (const input of form.querySelectorAll('input[type="file"][id]')) {
    const label = document.getElementById('upload-label-' + input.id);
    const required = input.dataset.required === 'true' || /[*\\u2731]/.test(label ? label.innerText : '');
    if (label) uploadLabels['#' + CSS.escape(input.id)] = {label: clean(label), required};
  }
  return {picked, uploadLabels};
}
"""

# A place search's suggestions once it has answered: {options: [...]} ([] for "No options"), else null.
_SUGGESTIONS_JS = """
(shellSelector) => {
  const shell = document.querySelector(shellSelector);
  const menu = shell && shell.querySelector('[role="listbox"], .select__menu');
  if (!menu || menu.querySelector('.select__menu-notice--loading')) return null;
  const options = [...menu.querySelectorAll('[role="option"]')].map(o => o.innerText.replace(/\\s+/g, ' ').trim());
  return options.length || menu.querySelector('.select__menu-notice--no-options') ? {options} : null;
}
"""
