"""Submitting a form once and reading what the page then says, for every adapter.

Owns the click on the form's own submit button (the only click allowed to send a form: it
lifts the session's submit guard right before it) and the watch that follows it: a confirmation
page or phrase means the application went through, validation errors that appear (or stand
long enough) mean it was refused, and silence for SUBMIT_TIMEOUT_S is reported as unknown.
Each ATS describes where those signs show in its `SubmitSignals`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from automation import page_js, submit_guard
from automation.adapters.base import SubmitOutcome, SubmitResult, UnsupportedForm
from automation.page_js import PageState

if TYPE_CHECKING:
    from browser_use import BrowserSession

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
CONFIRMATION_PATH = re.compile(r"/(thanks|thank-you|thank_you|confirmation|success)/?$", re.IGNORECASE)
SUBMIT_TEXT = r"^\s*submit\b"
SUBMIT_MARKER = "data-nyx-submit"
SUBMIT_TIMEOUT_S = 30.0
# Errors already on the page before the click count only once they have stood this long.
STALE_ERRORS_GRACE_S = 2.0
POLL_INTERVAL_S = 0.2


# The controls the browser's own constraint validation would refuse (required and empty, a bad e-mail...),
# for the form the marked submit button sends; none when that form is not validated. Read from
# `validity`, which fires no event. A form that fails these is never sent by the click: the browser
# shows a bubble, no `submit` event fires and nothing leaves, so silence after it is no "unknown" outcome.
INVALID_CONTROLS_JS = """
(button) => {
  const form = button && button.form;
  if (!form || form.noValidate || button.formNoValidate) return [];
  const says = (el) => ((el.labels && el.labels[0] && el.labels[0].innerText) || el.getAttribute('aria-label')
                        || el.getAttribute('placeholder') || el.name || el.id || el.type).replace(/\\s+/g, ' ').trim();
  return [...form.elements].filter(el => el.willValidate && !el.validity.valid)
    .map(el => says(el) + ': ' + (el.validationMessage || 'not valid'));
}
"""


@dataclass(frozen=True)
class SubmitSignals:
    """Where a form's submit button, errors, busy state and confirmation show."""

    ats: str
    submit_candidates: str
    errors: str
    busy: str
    phrases: tuple[str, ...] = CONFIRMATION_PHRASES
    confirmation_path: re.Pattern[str] = CONFIRMATION_PATH
    # What the submit button says; most forms' buttons start with "Submit" (Teamtailor's: "Send application").
    submit_text: str = SUBMIT_TEXT


async def submit_form(browser: BrowserSession, signals: SubmitSignals) -> SubmitResult:
    """Click the form's own submit button once and report what the page then says."""
    before = await _state(browser, signals)
    if before is None:
        raise UnsupportedForm("The page is not ready to submit.")
    if not await page_js.mark_element(browser, signals.submit_candidates, signals.submit_text, SUBMIT_MARKER):
        raise UnsupportedForm(f"The {signals.ats.capitalize()} form has no submit button.")
    invalid = await page_js.evaluate(
        browser, f"() => ({INVALID_CONTROLS_JS.strip()})({page_js.find_element_expression(f'[{SUBMIT_MARKER}]')})"
    )
    if invalid:  # the browser would refuse the click itself: say which fields, send nothing
        return SubmitResult(SubmitOutcome.VALIDATION_ERRORS, "; ".join(invalid), before.url)
    if (guard := submit_guard.guard_of(browser)) is not None:
        await guard.lift(browser)
    await page_js.submit_click(browser, f"[{SUBMIT_MARKER}]")
    return await _await_outcome(browser, signals, before)


async def _await_outcome(browser: BrowserSession, signals: SubmitSignals, before: PageState) -> SubmitResult:
    loop = asyncio.get_running_loop()
    clicked_at = loop.time()
    last = before
    while (elapsed := loop.time() - clicked_at) < SUBMIT_TIMEOUT_S:
        state = await _state(browser, signals)
        if state is not None:
            last = state
            if result := decide(state, before, elapsed, signals):
                return result
        await asyncio.sleep(POLL_INTERVAL_S)
    silence = f"No confirmation or error on the page {SUBMIT_TIMEOUT_S:g} s after submitting."
    return SubmitResult(SubmitOutcome.UNKNOWN, silence, last.url)


async def _state(browser: BrowserSession, signals: SubmitSignals) -> PageState | None:
    return await page_js.page_state(browser, signals.errors, signals.busy, signals.phrases)


def decide(state: PageState, before: PageState, elapsed: float, signals: SubmitSignals) -> SubmitResult | None:
    """The outcome the page shows `elapsed` seconds after the click, or None while it shows none yet."""
    if signals.confirmation_path.search(urlsplit(state.url).path) and state.url != before.url:
        return SubmitResult(SubmitOutcome.CONFIRMED, f"Confirmation page: {state.url}", state.url)
    if state.confirmation:
        return SubmitResult(SubmitOutcome.CONFIRMED, f'The page says "{state.confirmation}".', state.url)
    fresh = state.errors != before.errors or elapsed >= STALE_ERRORS_GRACE_S
    if state.errors and not state.busy and fresh:
        return SubmitResult(SubmitOutcome.VALIDATION_ERRORS, "; ".join(state.errors), state.url)
    return None
