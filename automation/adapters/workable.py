"""Workable application forms (apply.workable.com/<company>/j/<shortcode>/apply/).

A React single-page app: `form[data-ui=application-form]` with `firstname`, `lastname`, `email`,
`phone` (a country-code select beside it), `address`, the résumé in a hidden file input behind
a drop zone, custom questions named `CA_<n>` or by number, and a GDPR consent box. The page
validates and posts the form itself. Standard fields come from the profile, custom questions
from its saved answers. No LLM is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    FilledForm,
    SubmitResult,
    UnsupportedForm,
)
from automation.adapters.controls import Answer, fill_questions, is_consent
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedForm, planned_fields
from automation.adapters.profile_values import (
    consent_answer,
    country_for_phone,
    dial_code_select,
    link_for_label,
    saved_answer,
)
from automation.page_js import Question

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

# apply.workable.com/<company>/j/<shortcode>/ and the older <company>.workable.com/j/<shortcode>/
WORKABLE_HOST = re.compile(r"^([a-z0-9-]+\.)*workable\.com$", re.IGNORECASE)
JOB_PATH = re.compile(r"^(/[^/]+)?/j/[0-9a-z]{6,}(/apply)?(/.*)?$", re.IGNORECASE)
FORM_SELECTOR = "form[data-ui='application-form']"

STANDARD_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "firstname": lambda profile: profile.first_name,
    "lastname": lambda profile: profile.last_name,
    "email": lambda profile: str(profile.email),
    "address": lambda profile: profile.location,
}

WORKABLE_SIGNALS = SubmitSignals(
    ats="workable",
    submit_candidates=f"{FORM_SELECTOR} button",
    errors="[data-ui='error']",
    busy=f"{FORM_SELECTOR} button[type='submit'][disabled], {FORM_SELECTOR}[aria-busy='true']",
)


class WorkableAdapter(PlannedForm):
    name = "workable"

    @classmethod
    def matches_url(cls, url: str) -> bool:
        parts = urlsplit(url)
        return bool(WORKABLE_HOST.match(parts.hostname or "")) and bool(JOB_PATH.match(parts.path))

    @classmethod
    async def matches_page(cls, browser: BrowserSession) -> bool:
        return bool(await page_js.evaluate(browser, _FORM_PRESENT_JS, FORM_SELECTOR))

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Workable application form on this page.")
        questions = await self.page_questions(browser)
        phone = _phone_answers(questions, profile)
        links_used: set[str] = set()
        answers = [(q, phone.get(q.selector) or _answer(q, profile, files, links_used)) for q in questions]
        self.plan = planned_fields(await fill_questions(browser, answers), profile)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        return await page_js.read_questions(browser, FORM_SELECTOR)

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
        return consent_answer(question, profile)
    if question.kind == "text" and (link := link_for_label(question.label, profile.links, links_used)):
        return link
    return saved_answer(question.label, profile)


def _phone_answers(questions: Sequence[Question], profile: Profile) -> dict[str, str]:
    """The number for the phone input and, for an international number, its country in the code select."""
    field = next((q for q in questions if q.kind == "text" and _key(q).lower() == "phone"), None)
    if field is None or not profile.phone:
        return {}
    select = dial_code_select(questions)
    country = country_for_phone(profile.phone, profile.location, select.choices) if select else None
    if select is None or country is None:
        return {field.selector: profile.phone}
    index, number = country
    return {select.selector: select.choices[index].label, field.selector: number}


_FORM_PRESENT_JS = """
(formSelector) => {
  const form = document.querySelector(formSelector);
  return !!(form && form.getClientRects().length > 0 && form.querySelector('input, textarea, select'));
}
"""
