"""Greenhouse application forms (job-boards.greenhouse.io and the classic boards.greenhouse.io).

Standard fields are found by id, link fields by id or label, custom questions
(`#question_<id>`) by their label in the profile's saved answers. No LLM is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    FilledForm,
    SubmitResult,
    UnsupportedForm,
    normalised,
)
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedField, PlannedForm, asks_question
from automation.adapters.profile_values import saved_answer
from automation.page_js import Control, Question

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

GREENHOUSE_HOSTS = frozenset(
    {"boards.greenhouse.io", "job-boards.greenhouse.io", "boards.eu.greenhouse.io", "job-boards.eu.greenhouse.io"}
)
FORM_SELECTOR = "form#application-form, form.application--form, form#application_form"
GREENHOUSE_SIGNALS = SubmitSignals(
    ats="greenhouse",
    # Classic boards submit with <input type="button" id="submit_app" value="Submit Application">.
    submit_candidates=", ".join(
        f"{form} button, {form} input[type='submit'], {form} input[type='button']"
        for form in FORM_SELECTOR.split(", ")
    ),
    errors=".helper-text--error, .field-error-msg, #error_message, form [role='alert']",
    busy="form button[type='submit'][disabled], form [aria-busy='true']",
    confirmation_path=re.compile(r"/(confirmation|thank)", re.IGNORECASE),
)

STANDARD_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "first_name": lambda profile: profile.first_name,
    "last_name": lambda profile: profile.last_name,
    "email": lambda profile: str(profile.email),
    "phone": lambda profile: profile.phone,
}
LOCATION_IDS = frozenset({"candidate-location", "candidate_location", "location", "job_application_location"})
LOCATION_LABELS = frozenset({"location", "location (city)", "city", "current location"})

# (pattern on id or label, Links attributes to try in order)
LINK_FIELDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"linked\s*in", re.IGNORECASE), ("linkedin",)),
    (re.compile(r"git\s*hub", re.IGNORECASE), ("github",)),
    (re.compile(r"portfolio", re.IGNORECASE), ("portfolio", "website")),
    (re.compile(r"website|personal site|homepage|blog", re.IGNORECASE), ("website", "portfolio")),
)
# "LinkedIn Profile" is a link field; "Were you referred through LinkedIn? Explain." is a question.
MAX_LINK_LABEL_WORDS = 5



class GreenhouseAdapter(PlannedForm):
    name = "greenhouse"

    @classmethod
    def matches_url(cls, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.hostname or "").lower() in GREENHOUSE_HOSTS or "gh_jid" in parse_qs(parts.query)

    @classmethod
    async def matches_page(cls, browser: BrowserSession) -> bool:
        return bool(await page_js.evaluate(browser, _FORM_PRESENT_JS, FORM_SELECTOR))

    @classmethod
    async def embedded_form_url(cls, browser: BrowserSession) -> str | None:
        return await page_js.evaluate(browser, _EMBED_URL_JS)

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Greenhouse application form on this page.")
        controls = await page_js.read_controls(browser, FORM_SELECTOR)
        self.plan = [_planned(control, intended_value(control, profile, files), profile) for control in controls]
        for control, field in zip(controls, self.plan):
            if field.intended is not None and not control.is_file:
                await page_js.set_value(browser, control.selector, field.intended)
        await self._attach_files(browser, controls, files)
        await self.wait_for_uploads(browser)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        return await page_js.read_questions(browser, FORM_SELECTOR)

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        """As the page shows them, a react-select's chosen option included."""
        return {control.selector: control.value for control in await page_js.read_controls(browser, FORM_SELECTOR)}

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, GREENHOUSE_SIGNALS)

    async def _attach_files(self, browser: BrowserSession, controls: list[Control], files: ApplicantFiles) -> None:
        for control in controls:
            path = _file_for(control, files)
            if path is not None:
                await page_js.set_files(browser, control.selector, [path])



def _planned(control: Control, intended: str | None, profile: Profile) -> PlannedField:
    # A react-select combobox needs an option picked from its list, which this adapter does not do.
    answerable = (control.is_free_text or control.tag == "select") and control.role != "combobox"
    return PlannedField(
        selector=control.selector,
        label=control.label,
        required=control.required,
        intended=intended,
        is_question=answerable and asks_question(control.label, profile),
        is_file=control.is_file,
    )


def intended_value(control: Control, profile: Profile, files: ApplicantFiles) -> str | None:
    """What the profile says belongs in this control, or None if it says nothing."""
    if control.is_file:
        path = _file_for(control, files)
        return path.name if path else None
    if not (control.is_free_text or control.tag == "select"):
        return None
    if control.id in STANDARD_FIELDS:
        return STANDARD_FIELDS[control.id](profile)
    if control.id in LOCATION_IDS or normalised(control.label) in LOCATION_LABELS:
        return profile.location
    if control.role == "combobox":
        return None  # react-select: needs an option chosen, not text typed
    return _link_value(control, profile) or saved_answer(control.label, profile)


def _file_for(control: Control, files: ApplicantFiles) -> Path | None:
    if not control.is_file:
        return None
    return {"resume": files.resume, "cover_letter": files.cover_letter}.get(control.id)


def _link_value(control: Control, profile: Profile) -> str | None:
    if len(control.label.split()) > MAX_LINK_LABEL_WORDS:
        return None
    for pattern, attributes in LINK_FIELDS:
        if pattern.search(control.id) or pattern.search(control.label):
            links = profile.links
            return next((value for name in attributes if (value := getattr(links, name, None))), None)
    return None


_FORM_PRESENT_JS = """
(formSelector) => {
  const form = document.querySelector(formSelector);
  const shown = form && form.getClientRects().length > 0;  // a collapsed form waits for "Apply"
  return !!(shown && form.querySelector('#first_name') && form.querySelector('#email'));
}
"""

_EMBED_URL_JS = """
() => {
  const frame = document.querySelector(
    'iframe#grnhse_iframe, iframe[src*="greenhouse.io/embed/job_app"], #grnhse_app iframe');
  return frame && /^https?:/.test(frame.src) ? frame.src : null;
}
"""
