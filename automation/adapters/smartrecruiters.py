"""SmartRecruiters one-click application forms (jobs.smartrecruiters.com/oneclick-ui/...).

A posting (`jobs.smartrecruiters.com/<Company>/<id>-<slug>`) links to its form through the
"I'm interested" button. The form's standard fields have stable names (`firstName`,
`confirmEmail`, `phoneNumber`, ...); the city is an autocomplete whose suggestion must be
chosen; screening questions are matched by label against the profile's saved answers; the
privacy-policy consent is ticked because it is required, optional marketing boxes are not.
No LLM is involved.

The form renders inside web components with open shadow roots: the form itself inside the app
element's root, personal information and the résumé inside `spl-input` / `spl-autocomplete` /
`spl-dropzone` elements whose inner controls have no name of their own. Every selector here is a
deep one (`page_js`'s ">>>"), and those fields are known by their element's id.
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
from automation.adapters.controls import Answer, Planned, fill_questions, is_consent
from automation.adapters.greenhouse import intended_value
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedForm, planned_fields
from automation.adapters.profile_values import consent_answer, saved_answer
from automation.page_js import Control, Question, best_option

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

SMARTRECRUITERS_HOSTS = frozenset({"jobs.smartrecruiters.com"})
FORM_MARKER = "data-nyx-form"
FORM = f"form[{FORM_MARKER}]"  # the application form, once `_MARK_FORM_JS` has found it
FORM_SELECTOR = f">>> {FORM}"
SUGGESTIONS_SELECTOR = ">>> [role='listbox'] [role='option']"
SMARTRECRUITERS_SIGNALS = SubmitSignals(
    ats="smartrecruiters",
    submit_candidates=f">>> {FORM} button, {FORM} input[type='submit']",
    errors=f">>> {FORM} [role='alert'], {FORM} .error-message",
    busy=f">>> {FORM} button[type='submit'][disabled], {FORM} [aria-busy='true']",
)
# spl-* elements by id -> the field's name in the form (their inner controls have none).
ELEMENT_FIELDS = {
    "first-name-input": "firstName",
    "last-name-input": "lastName",
    "email-input": "email",
    "confirm-email-input": "confirmEmail",
    "location-input": "location",
    "city-input": "location",
    "phone-number-input": "phoneNumber",
    "linkedin-input": "linkedin",
    "website-input": "website",
}
# The id of the element whose shadow root holds a control: "... spl-input#email-input >>> #inner".
HOST_ID = re.compile(r"#([\w-]+)\s*>>>\s*[^>]*$")

STANDARD_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "firstName": lambda profile: profile.first_name,
    "lastName": lambda profile: profile.last_name,
    "email": lambda profile: str(profile.email),
    "confirmEmail": lambda profile: str(profile.email),
    "phoneNumber": lambda profile: profile.phone,
    "linkedin": lambda profile: profile.links.linkedin,
    "website": lambda profile: profile.links.website or profile.links.portfolio,
}
LOCATION_NAMES = frozenset({"location", "city"})
BLUR_JS = page_js.through_shadow_roots("() => document.activeElement && document.activeElement.blur()")
RESUME_WORDS = re.compile(r"resume|\bcv\b", re.IGNORECASE)
COVER_LETTER_WORDS = re.compile(r"cover", re.IGNORECASE)

SUGGESTIONS_TIMEOUT_S = 5.0


class SmartRecruitersAdapter(PlannedForm):
    name = "smartrecruiters"

    @classmethod
    def matches_url(cls, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in SMARTRECRUITERS_HOSTS

    @classmethod
    async def matches_page(cls, browser: BrowserSession) -> bool:
        return bool(await page_js.evaluate(browser, _MARK_FORM_JS, FORM_MARKER))

    @classmethod
    async def embedded_form_url(cls, browser: BrowserSession) -> str | None:
        """A posting reaches its form through "I'm interested", a link to the one-click app."""
        return await page_js.evaluate(browser, _APPLY_LINK_JS)

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No SmartRecruiters application form on this page.")
        questions = await self.page_questions(browser)
        city = next((q for q in questions if q.kind == "text" and _key(q) in LOCATION_NAMES), None)
        answers = [(q, _answer(q, profile, files)) for q in questions if q is not city]
        planned = await fill_questions(browser, answers)
        if city is not None:
            planned.insert(questions.index(city), Planned(city, await _choose_city(browser, city, profile)))
        self.plan = planned_fields(planned, profile)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        await page_js.evaluate(browser, _MARK_FORM_JS, FORM_MARKER)
        return await page_js.read_questions(browser, FORM_SELECTOR)

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, SMARTRECRUITERS_SIGNALS)


def _key(question: Question) -> str:
    """The field's name: its control's own, else that of the spl-* element holding it."""
    host = HOST_ID.search(question.selector)
    return question.name or (ELEMENT_FIELDS.get(host.group(1), host.group(1)) if host else question.id)


def _answer(question: Question, profile: Profile, files: ApplicantFiles) -> Answer:
    """What the profile says belongs in this question, or None if it says nothing."""
    key = _key(question)
    if question.kind == "file":
        described = f"{key} {question.label}"
        if COVER_LETTER_WORDS.search(described):
            return files.cover_letter
        return files.resume if RESUME_WORDS.search(described) else None
    if key in STANDARD_FIELDS:
        return STANDARD_FIELDS[key](profile)
    if is_consent(question):
        return consent_answer(question, profile)
    if question.kind in ("text", "textarea"):
        # Links and saved answers by label, as on Greenhouse ("LinkedIn profile", "Portfolio").
        tag = "textarea" if question.kind == "textarea" else "input"
        control = Control(question.id, question.selector, tag, "text", "", question.label, question.required, "")
        return intended_value(control, profile, files) or saved_answer(question.label, profile)
    return saved_answer(question.label, profile)


async def _choose_city(browser: BrowserSession, question: Question, profile: Profile) -> str | None:
    """Type the city and click the suggestion that best matches the profile's whole location.

    Returns what the field should then show: the suggestion, or the profile's location when
    nothing matched (so the reading shows the difference).
    """
    if not profile.location:
        return None
    if best_option(profile.location, [question.value]) == 0:
        return question.value  # already chosen
    city = profile.location.split(",", 1)[0].strip()
    chosen = None
    if await page_js.type_text(browser, question.selector, city):
        chosen = await page_js.pick_listed_option(
            browser, SUGGESTIONS_SELECTOR, profile.location, timeout_s=SUGGESTIONS_TIMEOUT_S
        )
    if chosen is None:
        await page_js.evaluate(browser, BLUR_JS)
    return chosen or profile.location


# Finds the form holding a shown first-name field and an e-mail field, in the page or in open shadow
# roots, and marks it; false if there is none.
_MARK_FORM_JS = page_js.through_shadow_roots("""
(marker) => {
  const field = (name, id) => document.querySelector('input[name="' + name + '"], [formcontrolname="' + name + '"], #' + id);
  const formOf = (el) => {
    while (el && !(el instanceof HTMLFormElement)) {
      el = el.parentElement || (el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host : null);
    }
    return el;
  };
  const first = field('firstName', 'first-name-input');
  const form = first && first.getClientRects().length > 0 ? formOf(first) : null;
  if (!form || formOf(field('email', 'email-input')) !== form) return false;
  document.querySelectorAll('[' + marker + ']').forEach(el => { if (el !== form) el.removeAttribute(marker); });
  form.setAttribute(marker, '');
  return true;
}
""")

_APPLY_LINK_JS = """
() => {
  const link = document.querySelector('a#st-apply[href*="/oneclick-ui/"], a[href*="/oneclick-ui/company/"]');
  return link && /^https?:/.test(link.href) ? link.href : null;
}
"""
