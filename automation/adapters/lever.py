"""Lever application forms (jobs.lever.co/<company>/<posting id>/apply).

One multipart `form#application-form`, posted natively: the full name in one field, links as
`urls[<Site>]`, custom question cards `cards[<id>][fieldN]` (text, textarea, radios, checkboxes,
selects), EEO selects `eeo[...]` and consent checkboxes. Standard fields come from the profile,
cards from its saved answers, EEO questions are declined. "Current location" is Lever's place
search: the place the profile's location means is picked from its suggestions (which also fills
the hidden `selectedLocation`); a location no suggestion matches is left empty. No LLM is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    FilledForm,
    SubmitResult,
    UnsupportedForm,
)
from automation.adapters.by_meaning import standard_answer
from automation.adapters.controls import Answer, Planned, fill_questions, pick_place, shown
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedForm, planned_fields
from automation.adapters.profile_values import (
    best_place,
    link_for,
    saved_answer,
)
from automation.adapters.vendors import VendorSignature
from automation.questions import Question, decline_option

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

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
LOCATION_NAME = "location"
LOCATION_FIELD = f"{FORM_SELECTOR} input[name='{LOCATION_NAME}']"
PLACE_OPTIONS = f"{FORM_SELECTOR} .location-dropdown .dropdown-location"
PLACES_TIMEOUT_S = 5.0  # the place search's suggestions to show

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
LEVER = VendorSignature(
    name="lever",
    form=FORM_SELECTOR,
    fields=("input[name='email']", "input[name='name'], input[name='resume']"),
    hosts=re.compile(r"jobs(\.eu)?\.lever\.co"),
    paths=POSTING_PATH,
    # Lever's page around the form, or its question cards inside it.
    marks=(f".application-page {FORM_SELECTOR}", f"{FORM_SELECTOR} {QUESTION_SELECTOR}"),
    submit=LEVER_SIGNALS.submit_candidates,
    embeds=("iframe[src*='jobs.lever.co/']", "iframe[src*='jobs.eu.lever.co/']"),
)


class LeverAdapter(PlannedForm):
    name = "lever"
    signature = LEVER

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Lever application form on this page.")
        questions = await self.page_questions(browser)
        place = next((question for question in questions if question.name == LOCATION_NAME), None)
        links_used: set[str] = set()
        answers = [(q, _answer(q, profile, files, links_used)) for q in questions if q is not place]
        planned = await fill_questions(browser, answers)
        if place is not None:
            picked = await _pick_location(browser, place, profile.location) if profile.location else None
            planned.insert(questions.index(place), Planned(place, picked))
        self.plan = planned_fields(planned, profile)
        if files.resume is not None:
            await page_js.wait_until(browser, RESUME_SETTLED_JS, timeout_s=ATTACHMENT_TIMEOUT_S)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        return await page_js.read_questions(browser, FORM_SELECTOR, QUESTION_SELECTOR, LABEL_SELECTOR)

    async def put_answer(self, browser: BrowserSession, question: Question, value: str) -> str | None:
        if question.name == LOCATION_NAME:
            return await _pick_location(browser, question, value)
        return await super().put_answer(browser, question, value)

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        """As the page shows them; the location only once a suggestion is picked (typed text is not a place)."""
        questions = await self.page_questions(browser)
        place = await page_js.evaluate(browser, _PICKED_PLACE_JS, FORM_SELECTOR)
        return {q.selector: (place or "") if q.name == LOCATION_NAME else shown(q) for q in questions}

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, LEVER_SIGNALS)


async def _pick_location(browser: BrowserSession, question: Question, location: str) -> str:
    """Pick the place search's suggestion that `location` means; returns what the field should then show.

    When no suggestion matches, the typed text is cleared again (Lever would keep it as an unknown
    place) and the location is returned as is, so the review shows the field empty against it.
    """
    picked_now: str | None = await page_js.evaluate(browser, _PICKED_PLACE_JS, FORM_SELECTOR)
    if picked_now and best_place(location, [picked_now]) == 0:
        return picked_now  # already picked
    picked = await pick_place(
        browser,
        question.selector,
        location,
        _SUGGESTIONS_JS,
        FORM_SELECTOR,
        options_selector=PLACE_OPTIONS,
        timeout_s=PLACES_TIMEOUT_S,
    )
    if picked is None:
        await page_js.set_value(browser, question.selector, "")
    return picked or location


def _answer(question: Question, profile: Profile, files: ApplicantFiles, links_used: set[str]) -> Answer:
    """What the profile says belongs in this question, or None if it says nothing."""
    if question.kind == "file":
        return files.resume if question.name == "resume" else None
    if question.name in STANDARD_FIELDS:
        return STANDARD_FIELDS[question.name](profile)
    if link := LINK_FIELD.fullmatch(question.name):
        return link_for(link.group(1), profile.links, links_used) or saved_answer(question.label, profile)
    if question.name.startswith("eeo["):
        return saved_answer(question.label, profile) or decline_option(question.options)
    return standard_answer(question, profile, files, links_used)


# The place search's suggestions once it has answered for what is typed: {options: [...]} ([] for
# "No location found"), else null.
_SUGGESTIONS_JS = """
(formSelector) => {
  const form = document.querySelector(formSelector);
  const dropdown = form && form.querySelector('.location-dropdown');
  const shown = (el) => !!el && el.getClientRects().length > 0;
  if (!shown(dropdown)) return null;
  const options = [...dropdown.querySelectorAll('.dropdown-location')]
    .map(el => el.innerText.replace(/\\s+/g, ' ').trim());
  return options.length || shown(dropdown.querySelector('.dropdown-no-results')) ? {options} : null;
}
"""

# The picked place's name when the location field still shows it, else null.
_PICKED_PLACE_JS = """
(formSelector) => {
  const form = document.querySelector(formSelector);
  const field = form && form.querySelector('input[name="location"]');
  const hidden = form && form.querySelector('input[name="selectedLocation"]');
  if (!field || !hidden || !hidden.value) return null;
  try {
    const name = JSON.parse(hidden.value).name;
    return name && name === field.value ? name : null;
  } catch (error) {
    return null;
  }
}
"""
