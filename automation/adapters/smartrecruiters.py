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

The phone is an `spl-phone-field`: a country dropdown (a "+44" toggle opening a list of "United
Kingdom +44" options) beside a nested `spl-input` for the national number. The country is picked
from the number's calling code (else from the location) and the rest of the number typed; the
dropdown reads as a PHONE_COUNTRY question of its own, showing the picked option.
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
from automation.adapters.profile_values import international_number
from automation.adapters.standard_fields import intended_value
from automation.adapters.vendors import VendorSignature
from automation.page_js import Control
from automation.questions import Choice, Question, best_option

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

FORM_MARKER = "data-nyx-form"
FORM = f"[{FORM_MARKER}]"  # the application form (or the element holding it), once `_MARK_FORM_JS` has found it
# The one-click app holds its fields in a <form> in a shadow root; a page saved from it (shadow roots
# declared in the HTML) has no <form>, only the app's `oc-oneclick-form` element round the fields.
FORM_CONTAINER = "form, oc-oneclick-form"
FIRST_NAME_FIELD = "input[name='firstName'], [formcontrolname='firstName'], #first-name-input"
EMAIL_FIELD = "input[name='email'], [formcontrolname='email'], #email-input"
FORM_SELECTOR = f">>> {FORM}"
SUGGESTIONS_SELECTOR = ">>> [role='listbox'] [role='option']"
SMARTRECRUITERS_SIGNALS = SubmitSignals(
    ats="smartrecruiters",
    submit_candidates=f">>> {FORM} button, {FORM} input[type='submit']",
    errors=f">>> {FORM} [role='alert'], {FORM} .error-message",
    busy=f">>> {FORM} button[type='submit'][disabled], {FORM} [aria-busy='true']",
)
SMARTRECRUITERS = VendorSignature(
    name="smartrecruiters",
    form=FORM_CONTAINER,
    fields=(FIRST_NAME_FIELD, EMAIL_FIELD),
    hosts=re.compile(r"jobs\.smartrecruiters\.com"),
    # The field names are common ones: the one-click app's own elements or SmartRecruiters' assets must show too.
    marks=(
        "oc-oneclick-form",
        "oc-app-root",
        "spl-input",
        "[href*='smartrecruiters.com']",
        "[src*='smartrecruiters.com']",
    ),
    submit=SMARTRECRUITERS_SIGNALS.submit_candidates,
    embeds=("iframe[src*='jobs.smartrecruiters.com/']",),
    # A posting reaches its form through "I'm interested", a link to the one-click app.
    apply_links=("a#st-apply[href*='/oneclick-ui/']", "a[href*='/oneclick-ui/company/']"),
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
# The ids of the elements whose shadow roots hold a control: "... #phone-number-input >>> spl-input >>> #inner".
HOST_ID = re.compile(r"#([\w-]+)\s*>>>")
PHONE_KEY = "phoneNumber"
PHONE_HOST = "spl-phone-field"
DROPDOWN_TIMEOUT_S = 5.0

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
    signature = SMARTRECRUITERS

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No SmartRecruiters application form on this page.")
        questions = await self.page_questions(browser)
        city = next((q for q in questions if q.kind == "text" and _key(q) in LOCATION_NAMES), None)
        country = phone_country_question(questions)
        field = _phone_field(questions) if country is not None else None
        answers = [(q, _answer(q, profile, files)) for q in questions if q not in (city, country, field)]
        planned = await fill_questions(browser, answers)
        if country is not None and field is not None:
            number, picked = await put_phone(
                browser,
                profile.phone,
                profile.location,
                field.selector,
                country,
                _country_options(country),
                DROPDOWN_TIMEOUT_S,
            )
            planned += [Planned(country, picked), Planned(field, number)]
        if city is not None:
            planned.append(Planned(city, await _choose_city(browser, city, profile)))
        order = {question.selector: i for i, question in enumerate(questions)}
        self.plan = planned_fields(sorted(planned, key=lambda item: order[item.question.selector]), profile)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        """The form's questions; an spl-phone-field's country dropdown reads as a PHONE_COUNTRY question
        just before its number, showing the picked option ("United Kingdom +44", "" for none)."""
        await page_js.evaluate(browser, _MARK_FORM_JS, FORM_MARKER, FORM_CONTAINER, FIRST_NAME_FIELD, EMAIL_FIELD)
        questions = await page_js.read_questions(browser, FORM_SELECTOR)
        field = _phone_field(questions)
        host = _phone_host(field) if field is not None else None
        dropdown = await page_js.evaluate(browser, _PHONE_COUNTRY_JS, host) if host else None
        if field is None or not dropdown:
            return questions
        choices = tuple(Choice(label, label, label == dropdown["picked"], "") for label in dropdown["countries"])
        country = Question(
            "",
            dropdown["label"],
            PHONE_COUNTRY,
            required=field.required,
            selector=f"{host} >>> {dropdown['toggle']}",
            value=dropdown["picked"],
            choices=choices,
        )
        at = questions.index(field)
        return [*questions[:at], country, *questions[at:]]

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        """As the page shows them; the phone number with the picked country's calling code before it."""
        questions = await self.page_questions(browser)
        values = {question.selector: shown(question) for question in questions}
        country = phone_country_question(questions)
        field = _phone_field(questions)
        if country is not None and field is not None:
            values[field.selector] = international_number(field.value, country.value)
        return values

    async def put_answer(self, browser: BrowserSession, question: Question, value: str) -> str | None:
        questions = await self.page_questions(browser)
        country = phone_country_question(questions)
        field = _phone_field(questions)
        if country is None or field is None or question.selector not in (country.selector, field.selector):
            return await super().put_answer(browser, question, value)
        if question.kind == PHONE_COUNTRY:
            picked = await pick_country(browser, value, country, _country_options(country), DROPDOWN_TIMEOUT_S)
            self._replan(field.selector, international_number(field.value, picked) if field.value.strip() else None)
            return picked
        number, shown_country = await put_phone(
            browser, value, None, field.selector, country, _country_options(country), DROPDOWN_TIMEOUT_S
        )
        self._replan(country.selector, shown_country)
        return number

    def _replan(self, selector: str, intended: str | None) -> None:
        """What another field of the same widget should now show, when that changed too."""
        for planned in self.plan:
            if planned.selector == selector and intended is not None:
                planned.intended = intended

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, SMARTRECRUITERS_SIGNALS)


def _key(question: Question) -> str:
    """The field's name: its control's own, else that of the spl-* element holding it (the innermost
    known one: a phone field's number is in an spl-input inside the spl-phone-field)."""
    hosts = HOST_ID.findall(question.selector)
    known = [ELEMENT_FIELDS[host] for host in hosts if host in ELEMENT_FIELDS]
    return question.name or (known[-1] if known else hosts[-1] if hosts else question.id)


def _phone_field(questions: list[Question]) -> Question | None:
    return next((q for q in questions if q.kind == "text" and _key(q) == PHONE_KEY), None)


def _phone_host(field: Question) -> str | None:
    """The deep selector of the element holding the phone number ("... >>> #phone-number-input"), if known."""
    hosts = [found for found in HOST_ID.finditer(field.selector) if ELEMENT_FIELDS.get(found.group(1)) == PHONE_KEY]
    return field.selector[: hosts[-1].end(1)] if hosts else None


def _country_options(country: Question) -> str:
    host = country.selector.rsplit(">>>", 1)[0].strip()
    return f"{host} >>> [role='listbox'] [role='option']"


def _answer(question: Question, profile: Profile, files: ApplicantFiles) -> Answer:
    """What the profile says belongs in this question, or None if it says nothing."""
    key = _key(question)
    if question.kind == "file":
        described = f"{key} {question.label}"
        if COVER_LETTER_WORDS.search(described):
            return files.cover_letter
        if RESUME_WORDS.search(described):
            return files.resume
        # An spl-dropzone's input says only "Choose a file or drop it here": the element holding it tells
        # the résumé (data-test="resume-upload") from the "Apply with your resume" parser, left alone.
        return standard_answer(question, profile, files)
    if key in STANDARD_FIELDS:
        return STANDARD_FIELDS[key](profile)
    if is_consent(question):
        return standard_answer(question, profile, files)
    if question.kind in ("text", "textarea"):
        # Links and saved answers by label, as on Greenhouse ("LinkedIn profile", "Portfolio").
        tag = "textarea" if question.kind == "textarea" else "input"
        control = Control(question.id, question.selector, tag, "text", "", question.label, question.required, "")
        return intended_value(control, profile, files) or standard_answer(question, profile, files)
    return standard_answer(question, profile, files)


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


# Finds the form (or the element holding it) round a shown first-name field that also holds the e-mail
# field, in the page or in open shadow roots, and marks it; false if there is none.
_MARK_FORM_JS = page_js.through_shadow_roots("""
(marker, containerSelector, firstNameSelector, emailSelector) => {
  const around = (el) => {
    while (el && !el.matches(containerSelector)) {
      el = el.parentElement || (el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host : null);
    }
    return el;
  };
  const first = document.querySelector(firstNameSelector);
  const form = first && first.getClientRects().length > 0 ? around(first) : null;
  const email = document.querySelector(emailSelector);
  if (!form || !email || around(email) !== form) return false;
  document.querySelectorAll('[' + marker + ']').forEach(el => { if (el !== form) el.removeAttribute(marker); });
  form.setAttribute(marker, '');
  return true;
}
""")

# An spl-phone-field's country dropdown: its toggle (a selector inside the field's shadow root), label,
# picked option ("" for none) and every option in order; null when `hostSelector` is no spl-phone-field.
_PHONE_COUNTRY_JS = page_js.through_shadow_roots("""
(hostSelector) => {
  const host = document.querySelector(hostSelector);
  const root = host && host.localName === 'spl-phone-field' && host.shadowRoot;
  const toggle = root && root.querySelector('button[aria-haspopup="listbox"]');
  if (!toggle) return null;
  const text = (el) => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const options = [...root.querySelectorAll('[role="listbox"] [role="option"]')];
  const picked = options.find(option => option.getAttribute('aria-selected') === 'true');
  return {
    toggle: 'button[aria-haspopup="listbox"]',
    label: toggle.getAttribute('aria-label') || 'Country code',
    picked: picked ? text(picked) : '',
    countries: options.map(text),
  };
}
""")
