"""Lever application forms (jobs.lever.co/<company>/<posting id>/apply).

One multipart `form#application-form`, posted natively: the full name in one field, links as
`urls[<Site>]`, custom question cards `cards[<id>][fieldN]` (text, textarea, radios, checkboxes,
selects), EEO selects `eeo[...]` and consent checkboxes. Standard fields come from the profile,
cards from its saved answers, EEO questions are declined. No LLM is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    decline_label,
    link_for,
    saved_answer,
)
from automation.page_js import Question

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

LEVER_HOSTS = frozenset({"jobs.lever.co", "jobs.eu.lever.co"})
POSTING_PATH = re.compile(
    r"^/[^/]+/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(/apply)?/?$", re.IGNORECASE
)
FORM_SELECTOR = "form#application-form"
QUESTION_SELECTOR = ".application-question"
LABEL_SELECTOR = ".application-label"

STANDARD_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "name": lambda profile: profile.full_name,
    "email": lambda profile: str(profile.email),
    "phone": lambda profile: profile.phone,
    "location": lambda profile: profile.location,
}
LINK_FIELD = re.compile(r"urls\[(.+)\]")

# Lever reads the résumé on upload ("Analyzing resume..."); read the form back once it is done.
RESUME_SETTLED_JS = """
() => {
  const input = document.querySelector('form#application-form input[type=file][name="resume"]');
  const busy = [...document.querySelectorAll('.resume-upload-working')].some(el => el.getClientRects().length > 0);
  return !!(input && input.files.length) && !busy;
}
"""
ATTACHMENT_TIMEOUT_S = 10.0

LEVER_SIGNALS = SubmitSignals(
    ats="lever",
    submit_candidates=f"{FORM_SELECTOR} button, {FORM_SELECTOR} input[type='submit']",
    errors=f"{FORM_SELECTOR} .error-message, .application-error",
    busy=f"{FORM_SELECTOR} button[type='submit'][disabled], #btn-submit[disabled]",
)


class LeverAdapter(PlannedForm):
    name = "lever"

    @classmethod
    def matches_url(cls, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.hostname or "").lower() in LEVER_HOSTS and bool(POSTING_PATH.match(parts.path))

    @classmethod
    async def matches_page(cls, browser: BrowserSession) -> bool:
        return bool(await page_js.evaluate(browser, _FORM_PRESENT_JS, FORM_SELECTOR))

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Lever application form on this page.")
        questions = await self.page_questions(browser)
        links_used: set[str] = set()
        answers = [(question, _answer(question, profile, files, links_used)) for question in questions]
        self.plan = planned_fields(await fill_questions(browser, answers), profile)
        if files.resume is not None:
            await page_js.wait_until(browser, RESUME_SETTLED_JS, timeout_s=ATTACHMENT_TIMEOUT_S)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        return await page_js.read_questions(browser, FORM_SELECTOR, QUESTION_SELECTOR, LABEL_SELECTOR)

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, LEVER_SIGNALS)


def _answer(question: Question, profile: Profile, files: ApplicantFiles, links_used: set[str]) -> Answer:
    """What the profile says belongs in this question, or None if it says nothing."""
    if question.kind == "file":
        return files.resume if question.name == "resume" else None
    if question.name in STANDARD_FIELDS:
        return STANDARD_FIELDS[question.name](profile)
    if link := LINK_FIELD.fullmatch(question.name):
        return link_for(link.group(1), profile.links, links_used) or saved_answer(question.label, profile)
    if question.name.startswith("eeo["):
        return saved_answer(question.label, profile) or decline_label(question)
    if is_consent(question):
        return consent_answer(question, profile)
    return saved_answer(question.label, profile)


_FORM_PRESENT_JS = """
(formSelector) => {
  const form = document.querySelector(formSelector);
  if (!form || form.getClientRects().length === 0) return false;
  const lever = form.closest('.application-page') || form.querySelector('.application-question');
  const identity = form.querySelector('input[name="name"], input[name="resume"]');
  return !!(lever && identity && form.querySelector('input[name="email"]'));
}
"""

