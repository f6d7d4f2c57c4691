"""Greenhouse application forms (job-boards.greenhouse.io and the classic boards.greenhouse.io).

Standard fields are found by id, link fields by id or label, custom questions
(`#question_<id>`) by their label in the profile's saved answers. No LLM is involved.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    FieldReading,
    FilledForm,
    FormAdapter,
    SubmitOutcome,
    SubmitResult,
    UnsupportedForm,
    normalised,
)
from automation.page_js import Control, PageState

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

GREENHOUSE_HOSTS = frozenset(
    {"boards.greenhouse.io", "job-boards.greenhouse.io", "boards.eu.greenhouse.io", "job-boards.eu.greenhouse.io"}
)
FORM_SELECTOR = "form#application-form, form.application--form, form#application_form"
ERROR_SELECTOR = ".helper-text--error, .field-error-msg, #error_message, form [role='alert']"
BUSY_SELECTOR = "form button[type='submit'][disabled], form [aria-busy='true']"
# Classic boards submit with <input type="button" id="submit_app" value="Submit Application">.
SUBMIT_CANDIDATES = ", ".join(
    f"{form} button, {form} input[type='submit'], {form} input[type='button']" for form in FORM_SELECTOR.split(", ")
)
SUBMIT_TEXT = r"^\s*submit\b"
SUBMIT_MARKER = "data-nyx-submit"

CONFIRMATION_PHRASES = (
    "thank you for applying",
    "thanks for applying",
    "application submitted",
    "application received",
    "application has been submitted",
    "application has been received",
    "we have received your application",
    "we've received your application",
)
CONFIRMATION_PATH = re.compile(r"/(confirmation|thank)", re.IGNORECASE)

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

ATTACHMENT_TIMEOUT_S = 10.0
SUBMIT_TIMEOUT_S = 30.0
# Errors already on the page before the click count only once they have stood this long.
STALE_ERRORS_GRACE_S = 2.0
POLL_INTERVAL_S = 0.2


@dataclass(frozen=True)
class _Planned:
    control: Control
    value: str | None


class GreenhouseAdapter(FormAdapter):
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
        plan = [_Planned(control, intended_value(control, profile, files)) for control in controls]
        for planned in plan:
            if planned.value is not None and not planned.control.is_file:
                await page_js.set_value(browser, planned.control.selector, planned.value)
        await self._attach_files(browser, controls, files)
        after = await self._read_after_uploads(browser, plan)
        return FilledForm(
            ats=self.name,
            url=await page_js.current_url(browser),
            fields=_readings(plan, after),
            screenshot=await browser.take_screenshot(full_page=True),
        )

    async def _attach_files(self, browser: BrowserSession, controls: list[Control], files: ApplicantFiles) -> None:
        for control in controls:
            path = _file_for(control, files)
            if path is not None:
                await page_js.set_files(browser, control.selector, [path])

    async def _read_after_uploads(self, browser: BrowserSession, plan: list[_Planned]) -> dict[str, Control]:
        """Read the form back once every attached file shows (the page may upload it first)."""
        uploads = {planned.control.selector for planned in plan if planned.control.is_file and planned.value}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ATTACHMENT_TIMEOUT_S
        while True:
            after = {control.selector: control for control in await page_js.read_controls(browser, FORM_SELECTOR)}
            pending = [selector for selector in uploads if not (after.get(selector) and after[selector].value)]
            if not pending or loop.time() >= deadline:
                return after
            await asyncio.sleep(POLL_INTERVAL_S)

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        before = await self._state(browser)
        if before is None:
            raise UnsupportedForm("The page is not ready to submit.")
        if not await page_js.mark_element(browser, SUBMIT_CANDIDATES, SUBMIT_TEXT, SUBMIT_MARKER):
            raise UnsupportedForm("The Greenhouse form has no submit button.")
        await page_js.click(browser, f"[{SUBMIT_MARKER}]")
        return await self._await_outcome(browser, before)

    async def _await_outcome(self, browser: BrowserSession, before: PageState) -> SubmitResult:
        loop = asyncio.get_running_loop()
        clicked_at = loop.time()
        last = before
        while (elapsed := loop.time() - clicked_at) < SUBMIT_TIMEOUT_S:
            state = await self._state(browser)
            if state is not None:
                last = state
                if result := _decide(state, before, elapsed):
                    return result
            await asyncio.sleep(POLL_INTERVAL_S)
        return SubmitResult(
            SubmitOutcome.UNKNOWN,
            f"No confirmation or error on the page {SUBMIT_TIMEOUT_S:g} s after submitting.",
            last.url,
        )

    @staticmethod
    async def _state(browser: BrowserSession) -> PageState | None:
        return await page_js.page_state(browser, ERROR_SELECTOR, BUSY_SELECTOR, CONFIRMATION_PHRASES)


def _decide(state: PageState, before: PageState, elapsed: float) -> SubmitResult | None:
    if CONFIRMATION_PATH.search(urlsplit(state.url).path) and state.url != before.url:
        return SubmitResult(SubmitOutcome.CONFIRMED, f"Confirmation page: {state.url}", state.url)
    if state.confirmation:
        return SubmitResult(SubmitOutcome.CONFIRMED, f'The page says "{state.confirmation}".', state.url)
    fresh = state.errors != before.errors or elapsed >= STALE_ERRORS_GRACE_S
    if state.errors and not state.busy and fresh:
        return SubmitResult(SubmitOutcome.VALIDATION_ERRORS, "; ".join(state.errors), state.url)
    return None


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
    return _link_value(control, profile) or _saved_answer(control, profile)


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


def _saved_answer(control: Control, profile: Profile) -> str | None:
    wanted = normalised(control.label)
    return next((answer for question, answer in profile.answers.items() if normalised(question) == wanted), None)


def _readings(plan: list[_Planned], after: dict[str, Control]) -> list[FieldReading]:
    readings = []
    for planned in plan:
        now = after.get(planned.control.selector)
        readings.append(
            FieldReading(
                label=planned.control.label,
                selector=planned.control.selector,
                intended=planned.value,
                actual=now.value if now else None,
                required=planned.control.required,
            )
        )
    return readings


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
