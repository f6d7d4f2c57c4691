"""Workable application forms (apply.workable.com/<company>/j/<shortcode>/apply/).

A React single-page app: `form[data-ui=application-form]` with `firstname`, `lastname`, `email`,
`phone`, `address`, the résumé in a hidden file input behind a drop zone, custom questions named
`CA_<n>` or by number, and a GDPR consent box. The page validates and posts the form itself.
Standard fields come from the profile, custom questions from its saved answers. The phone is an
intl-tel-input: its country is picked in the flag dropdown (from the number's calling code, else
the location) and the number typed without the code; older forms have a country-code select
beside it instead. No LLM is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    FilledForm,
    SubmitResult,
    UnsupportedForm,
)
from automation.adapters.by_meaning import standard_answer
from automation.adapters.controls import (
    PHONE_COUNTRY,
    Answer,
    Planned,
    fill_questions,
    is_consent,
    phone_country_question,
    pick_country,
    put_phone,
    shown,
)
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedForm, planned_fields
from automation.adapters.profile_values import (
    country_for_phone,
    dial_code_select,
    international_number,
    link_for_label,
)
from automation.adapters.vendors import VendorSignature
from automation.questions import Choice, Question

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

# apply.workable.com/<company>/j/<shortcode>/ and the older <company>.workable.com/j/<shortcode>/
JOB_PATH = re.compile(r"^(/[^/]+)?/j/[0-9a-z]{6,}(/apply)?(/.*)?$", re.IGNORECASE)
FORM_SELECTOR = "form[data-ui='application-form']"

STANDARD_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "firstname": lambda profile: profile.first_name,
    "lastname": lambda profile: profile.last_name,
    "email": lambda profile: str(profile.email),
    "address": lambda profile: profile.location,
}

FLAG_SELECTOR = f"{FORM_SELECTOR} .iti__selected-flag"
COUNTRY_OPTIONS = f"{FORM_SELECTOR} .iti__country-list .iti__country"
DROPDOWN_TIMEOUT_S = 5.0

WORKABLE_SIGNALS = SubmitSignals(
    ats="workable",
    submit_candidates=f"{FORM_SELECTOR} button",
    errors="[data-ui='error']",
    busy=f"{FORM_SELECTOR} button[type='submit'][disabled], {FORM_SELECTOR}[aria-busy='true']",
)
WORKABLE = VendorSignature(
    name="workable",
    form=FORM_SELECTOR,
    fields=("input, textarea, select",),
    hosts=re.compile(r"([a-z0-9-]+\.)*workable\.com"),
    paths=JOB_PATH,
    submit=WORKABLE_SIGNALS.submit_candidates,
    embeds=("iframe[src*='apply.workable.com/']",),
)


class WorkableAdapter(PlannedForm):
    name = "workable"
    signature = WORKABLE

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Workable application form on this page.")
        questions = await self.page_questions(browser)
        country = phone_country_question(questions)
        field = _phone_field(questions)
        phone = _phone_answers(questions, profile) if country is None else {}
        links_used: set[str] = set()
        answers = [
            (q, phone.get(q.selector) or _answer(q, profile, files, links_used))
            for q in questions
            if q is not country and (country is None or q is not field)
        ]
        planned = await fill_questions(browser, answers)
        if country is not None and field is not None:
            number, picked = await put_phone(
                browser, profile.phone, profile.location, field.selector, country, COUNTRY_OPTIONS, DROPDOWN_TIMEOUT_S
            )
            at = questions.index(country)
            planned[at:at] = [Planned(country, picked), Planned(field, number)]
        self.plan = planned_fields(planned, profile)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        """The form's questions; intl-tel-input's flag dropdown reads as a PHONE_COUNTRY question just
        before the number, showing the picked country ("United Kingdom +44")."""
        questions = await page_js.read_questions(browser, FORM_SELECTOR)
        flag = await page_js.evaluate(browser, _FLAG_JS, FLAG_SELECTOR, COUNTRY_OPTIONS)
        field = _phone_field(questions)
        if not flag or field is None:
            return questions
        choices = tuple(Choice(label, label, label == flag["picked"], "") for label in flag["countries"])
        country = Question(
            "",
            f"{field.label} country",
            PHONE_COUNTRY,
            required=field.required,
            selector=FLAG_SELECTOR,
            value=flag["picked"],
            choices=choices,
        )
        at = questions.index(field)
        return [*questions[:at], country, *questions[at:]]

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        """As the page shows them; the phone number with the picked country's calling code before it."""
        questions = await self.page_questions(browser)
        values = {question.selector: shown(question) for question in questions}
        country, field = phone_country_question(questions), _phone_field(questions)
        if country is not None and field is not None:
            values[field.selector] = international_number(field.value, country.value)
        return values

    async def put_answer(self, browser: BrowserSession, question: Question, value: str) -> str | None:
        questions = await self.page_questions(browser)
        country, field = phone_country_question(questions), _phone_field(questions)
        if country is None or field is None:
            return await super().put_answer(browser, question, value)
        if question.kind == PHONE_COUNTRY:
            picked = await pick_country(browser, value, country, COUNTRY_OPTIONS, DROPDOWN_TIMEOUT_S)
            for planned in self.plan:  # the number now goes with the new calling code
                if planned.selector == field.selector and field.value.strip():
                    planned.intended = international_number(field.value, picked)
            return picked
        if question.selector != field.selector:
            return await super().put_answer(browser, question, value)
        number, shown_country = await put_phone(
            browser, value, None, field.selector, country, COUNTRY_OPTIONS, DROPDOWN_TIMEOUT_S
        )
        for planned in self.plan:
            if planned.selector == country.selector and shown_country is not None:
                planned.intended = shown_country
        return number

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, WORKABLE_SIGNALS)


def _key(question: Question) -> str:
    return question.name or question.hook or question.id


def _answer(question: Question, profile: Profile, files: ApplicantFiles, links_used: set[str]) -> Answer:
    """What the profile says belongs in this question, or None if it says nothing."""
    key = _key(question).lower()
    if question.kind == "file":
        if "resume" in key or "cv" in key:
            return files.resume
        return files.cover_letter if "cover" in key else None
    if key in STANDARD_FIELDS:
        return STANDARD_FIELDS[key](profile)
    if is_consent(question):
        return standard_answer(question, profile, files, links_used)
    if question.kind == "text" and (link := link_for_label(question.label, profile.links, links_used)):
        return link
    return standard_answer(question, profile, files, links_used)


def _phone_field(questions: Sequence[Question]) -> Question | None:
    return next((q for q in questions if q.kind == "text" and _key(q).lower() == "phone"), None)


def _phone_answers(questions: Sequence[Question], profile: Profile) -> dict[str, str]:
    """The number for the phone input and, for an international number, its country in the code select."""
    field = _phone_field(questions)
    if field is None or not profile.phone:
        return {}
    select = dial_code_select(questions)
    country = country_for_phone(profile.phone, profile.location, select.choices) if select else None
    if select is None or country is None:
        return {field.selector: profile.phone}
    index, number = country
    return {select.selector: select.choices[index].label, field.selector: number}


# intl-tel-input's country as its flag's title shows it ("United Kingdom: +44" reads "United Kingdom +44"),
# and every country of its list in order; null without the widget.
_FLAG_JS = """
(flagSelector, countriesSelector) => {
  const flag = document.querySelector(flagSelector);
  if (!flag) return null;
  const text = (el) => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const picked = (flag.getAttribute('title') || '').replace(/:\\s*/, ' ').trim();
  return {picked, countries: [...document.querySelectorAll(countriesSelector)].map(text)};
}
"""
