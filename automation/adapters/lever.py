"""Lever application forms (jobs.lever.co/<company>/<posting id>/apply).

One multipart `form#application-form`, posted natively: the full name in one field, links as
`urls[<Site>]`, custom question cards `cards[<id>][fieldN]` (text, textarea, radios, checkboxes,
selects), EEO selects `eeo[...]` and consent checkboxes. Standard fields come from the profile,
cards from its saved answers, EEO questions are declined. No LLM is involved.

The second half of this module answers any `page_js.Question` (text, select, radio or checkbox
group, file) and watches the page after submitting; the Workable adapter shares it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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
from automation.adapters.greenhouse import CONFIRMATION_PHRASES
from automation.page_js import Choice, PageState, Question, option_key

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Links, Profile

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


class LeverAdapter(FormAdapter):
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
        questions = await _questions(browser)
        links_used: set[str] = set()
        answers = [(question, _answer(question, profile, files, links_used)) for question in questions]
        planned = await fill_questions(browser, answers)
        if files.resume is not None:
            await page_js.wait_until(browser, RESUME_SETTLED_JS, timeout_s=ATTACHMENT_TIMEOUT_S)
        return FilledForm(
            ats=self.name,
            url=await page_js.current_url(browser),
            fields=readings(planned, await _questions(browser)),
            screenshot=await browser.take_screenshot(full_page=True),
        )

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, LEVER_SIGNALS)


async def _questions(browser: BrowserSession) -> list[Question]:
    return await page_js.read_questions(browser, FORM_SELECTOR, QUESTION_SELECTOR, LABEL_SELECTOR)


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


# --- Shared with the Workable adapter: answering questions, reading them back, submitting ---

Answer = str | Path | None  # text to type or an option to match; a file to attach; None: leave it

AFFIRMATIVE = frozenset({"yes", "y", "yeah", "yep", "true", "sure", "correct", "agree", "i agree", "accept"})
NEGATIVE = frozenset({"no", "n", "nope", "false", "disagree"})
# "Consent", "GDPR", "privacy notice", "I agree to the terms": boxes that are ticked only when required.
CONSENT_WORDS = re.compile(r"\b(consent|gdpr|privacy|data protection|agree|accept|terms)\b")
ANSWER_SEPARATORS = re.compile(r"[,;\n]")

# A site's name for a link (Lever's urls[Portfolio], urls[Other]) -> Links attributes to try in order.
LINK_ATTRIBUTES = {
    "portfolio": ("portfolio", "website"),
    "other": ("website", "portfolio"),
    "website": ("website", "portfolio"),
    "personalsite": ("website", "portfolio"),
    "homepage": ("website", "portfolio"),
    "blog": ("website",),
}
LINK_LABEL = re.compile(r"\b(linked ?in|git ?hub|portfolio|website|personal site|homepage|blog|twitter)\b")
# "LinkedIn profile" is a link field; "Were you referred through LinkedIn? Explain." is a question.
MAX_LINK_LABEL_WORDS = 5

DIAL_CODE = re.compile(r"\+\s?(\d{1,4})(?!\d)")
# Where several countries share a calling code and the location does not say which.
PRIMARY_COUNTRY = {
    "1": "united states",
    "7": "russia",
    "39": "italy",
    "44": "united kingdom",
    "47": "norway",
    "61": "australia",
    "358": "finland",
}

CONFIRMATION_PATH = re.compile(r"/(thanks|thank-you|thank_you|confirmation|success)/?$", re.IGNORECASE)
SUBMIT_TEXT = r"^\s*submit\b"
SUBMIT_MARKER = "data-nyx-submit"
SUBMIT_TIMEOUT_S = 30.0
# Errors already on the page before the click count only once they have stood this long.
STALE_ERRORS_GRACE_S = 2.0
POLL_INTERVAL_S = 0.2


@dataclass(frozen=True)
class Planned:
    question: Question
    intended: str | None


def saved_answer(label: str, profile: Profile) -> str | None:
    """The profile's saved answer to a question worded like `label` (case, spacing and punctuation aside)."""
    wanted, loose = normalised(label), option_key(label)
    exact = next((answer for question, answer in profile.answers.items() if normalised(question) == wanted), None)
    if exact is not None or not loose:
        return exact
    return next((answer for question, answer in profile.answers.items() if option_key(question) == loose), None)


def link_for(site: str, links: Links, used: set[str]) -> str | None:
    """The profile's link for a site ("LinkedIn", "Portfolio", "Other"); each link is used once."""
    known = links.model_dump()
    key = option_key(site).replace(" ", "")
    for attribute in LINK_ATTRIBUTES.get(key, (key,)):
        value = known.get(attribute)
        if isinstance(value, str) and value and value not in used:
            used.add(value)
            return value
    return None


def link_for_label(label: str, links: Links, used: set[str]) -> str | None:
    """The profile's link for a short text question that asks for one ("LinkedIn profile", "GitHub URL")."""
    key = option_key(label)
    found = LINK_LABEL.search(key)
    if not found or len(key.split()) > MAX_LINK_LABEL_WORDS:
        return None
    return link_for(found.group(1), links, used)


def decline_label(question: Question) -> str | None:
    index = page_js.decline_option([choice.label for choice in question.choices])
    return question.choices[index].label if index is not None else None


def is_consent(question: Question) -> bool:
    """A single checkbox that gives consent or accepts terms."""
    if question.kind != "checkbox" or len(question.choices) != 1:
        return False
    return bool(CONSENT_WORDS.search(option_key(f"{question.name} {question.label} {question.choices[0].label}")))


def consent_answer(question: Question, profile: Profile) -> str | None:
    """Consent is given where the form requires it, and otherwise only if the profile says so."""
    return saved_answer(question.label, profile) or ("Yes" if question.required else None)


def polarity(text: str) -> bool | None:
    """True for "Yes", "Y", "yes, I am", "true"; False for "No", "no, I do not"; None otherwise."""
    key = option_key(text)
    words = key.split()
    if key in AFFIRMATIVE or (words and words[0] in AFFIRMATIVE):
        return True
    if key in NEGATIVE or (words and words[0] in NEGATIVE):
        return False
    return None


def choose(answer: str, choices: Sequence[Choice]) -> int | None:
    """Index of the option that says what `answer` says (see page_js.best_option), else a lone yes/no match."""
    index = page_js.best_option(answer, [choice.label for choice in choices])
    if index is not None:
        return index
    side = polarity(answer)
    if side is None:
        return None
    sides = [polarity(choice.label) for choice in choices]
    sides = [label if label is not None else polarity(choice.value) for label, choice in zip(sides, choices)]
    same = [i for i, choice_side in enumerate(sides) if choice_side is side]
    return same[0] if len(same) == 1 else None


def choose_many(answer: str, choices: Sequence[Choice]) -> list[int] | None:
    """Indices of the options a list answer ("Python, PostgreSQL") names; None if any part matches nothing."""
    whole = option_key(answer)
    exact = [i for i, choice in enumerate(choices) if whole and option_key(choice.label) == whole]
    if exact:
        return exact[:1]
    parts = [part for part in ANSWER_SEPARATORS.split(answer) if part.strip()]
    picked = [choose(part, choices) for part in parts]
    if not picked or any(index is None for index in picked):
        return None
    return sorted({index for index in picked if index is not None})


def dial_code_select(questions: Sequence[Question]) -> Question | None:
    """A select whose options are countries with calling codes ("United Kingdom (+44)")."""
    for question in questions:
        coded = sum(1 for choice in question.choices if _dial_code(choice))
        if question.kind == "select" and len(question.choices) >= 2 and coded * 2 >= len(question.choices):
            return question
    return None


def country_for_phone(phone: str, location: str | None, choices: Sequence[Choice]) -> tuple[int, str] | None:
    """The option for an international number's calling code, and the number without that code.

    Of countries sharing a code (+1, +44, +7) the one named in `location` wins, else the main one.
    """
    if not phone.strip().startswith("+"):
        return None
    digits = re.sub(r"\D", "", phone)
    coded = [(i, code) for i, choice in enumerate(choices) if (code := _dial_code(choice)) and digits.startswith(code)]
    if not coded:
        return None
    code = max((code for _, code in coded), key=len)
    candidates = [i for i, candidate in coded if candidate == code]
    place = f" {option_key(location or '')} "

    def country(i: int) -> str:
        return option_key(DIAL_CODE.sub(" ", choices[i].label))

    chosen = next((i for i in candidates if country(i) and f" {country(i)} " in place), None)
    if chosen is None:
        chosen = next((i for i in candidates if country(i) == PRIMARY_COUNTRY.get(code)), candidates[0])
    return chosen, _without_code(phone, code)


def _dial_code(choice: Choice) -> str | None:
    found = DIAL_CODE.search(choice.label) or DIAL_CODE.search(choice.value)
    return found.group(1) if found else None


def _without_code(phone: str, code: str) -> str:
    rest = phone.strip()[1:]
    seen = 0
    position = 0
    while position < len(rest) and seen < len(code):
        seen += rest[position].isdigit()
        position += 1
    return rest[position:].lstrip(" -.")


async def fill_questions(browser: BrowserSession, answers: Sequence[tuple[Question, Answer]]) -> list[Planned]:
    """Answer every question: options first (a country code before its number), then text, then files."""
    order = {"select": 0, "radio": 0, "checkbox": 0, "file": 2}
    intended: dict[str, str | None] = {}
    for question, answer in sorted(answers, key=lambda pair: order.get(pair[0].kind, 1)):
        intended[question.selector] = await fill_question(browser, question, answer)
    return [Planned(question, intended[question.selector]) for question, _ in answers]


async def fill_question(browser: BrowserSession, question: Question, answer: Answer) -> str | None:
    """Put one answer on the page; returns what its reading should then show."""
    if answer is None:
        return None
    if question.kind == "file":
        path = Path(answer)
        await page_js.set_files(browser, question.selector, [path])
        return path.name
    text = str(answer)
    if question.kind in ("text", "textarea"):
        await page_js.set_value(browser, question.selector, text)
        return text
    if question.kind == "checkbox" and len(question.choices) == 1:
        choice = question.choices[0]
        tick = polarity(text)
        if tick is None:
            tick = page_js.best_option(text, [choice.label]) is not None
        await page_js.set_checked(browser, choice.selector, tick)
        return "Yes" if tick else ""
    if question.kind == "checkbox":
        picked = choose_many(text, question.choices)
        if picked is None:
            return text  # nothing to tick for it: the reading shows the difference
        for i, choice in enumerate(question.choices):
            await page_js.set_checked(browser, choice.selector, i in picked)
        return ", ".join(question.choices[i].label for i in picked)
    index = choose(text, question.choices)
    if index is None:
        return text
    choice = question.choices[index]
    if question.kind == "select":
        await page_js.set_value(browser, question.selector, choice.value)
    else:
        await page_js.set_checked(browser, choice.selector, True)
    return choice.label


def shown(question: Question) -> str:
    """A question's value as the review shows it; a lone checkbox reads "Yes" when ticked."""
    if question.kind == "checkbox" and len(question.choices) == 1:
        return "Yes" if question.choices[0].checked else ""
    return question.value


def readings(planned: Sequence[Planned], after: Sequence[Question]) -> list[FieldReading]:
    now = {question.selector: question for question in after}
    return [
        FieldReading(
            label=item.question.label,
            selector=item.question.selector,
            intended=item.intended,
            actual=shown(now[item.question.selector]) if item.question.selector in now else None,
            required=item.question.required,
        )
        for item in planned
    ]


@dataclass(frozen=True)
class SubmitSignals:
    """Where a form's submit button, errors, busy state and confirmation show."""

    ats: str
    submit_candidates: str
    errors: str
    busy: str
    phrases: tuple[str, ...] = CONFIRMATION_PHRASES
    confirmation_path: re.Pattern[str] = CONFIRMATION_PATH


async def submit_form(browser: BrowserSession, signals: SubmitSignals) -> SubmitResult:
    """Click the form's own submit button once and report what the page then says."""
    before = await _state(browser, signals)
    if before is None:
        raise UnsupportedForm("The page is not ready to submit.")
    if not await page_js.mark_element(browser, signals.submit_candidates, SUBMIT_TEXT, SUBMIT_MARKER):
        raise UnsupportedForm(f"The {signals.ats.capitalize()} form has no submit button.")
    await page_js.click(browser, f"[{SUBMIT_MARKER}]")
    loop = asyncio.get_running_loop()
    clicked_at = loop.time()
    last = before
    while (elapsed := loop.time() - clicked_at) < SUBMIT_TIMEOUT_S:
        state = await _state(browser, signals)
        if state is not None:
            last = state
            if result := _decide(state, before, elapsed, signals):
                return result
        await asyncio.sleep(POLL_INTERVAL_S)
    silence = f"No confirmation or error on the page {SUBMIT_TIMEOUT_S:g} s after submitting."
    return SubmitResult(SubmitOutcome.UNKNOWN, silence, last.url)


async def _state(browser: BrowserSession, signals: SubmitSignals) -> PageState | None:
    return await page_js.page_state(browser, signals.errors, signals.busy, signals.phrases)


def _decide(state: PageState, before: PageState, elapsed: float, signals: SubmitSignals) -> SubmitResult | None:
    if signals.confirmation_path.search(urlsplit(state.url).path) and state.url != before.url:
        return SubmitResult(SubmitOutcome.CONFIRMED, f"Confirmation page: {state.url}", state.url)
    if state.confirmation:
        return SubmitResult(SubmitOutcome.CONFIRMED, f'The page says "{state.confirmation}".', state.url)
    fresh = state.errors != before.errors or elapsed >= STALE_ERRORS_GRACE_S
    if state.errors and not state.busy and fresh:
        return SubmitResult(SubmitOutcome.VALIDATION_ERRORS, "; ".join(state.errors), state.url)
    return None


LEVER_SIGNALS = SubmitSignals(
    ats="lever",
    submit_candidates=f"{FORM_SELECTOR} button, {FORM_SELECTOR} input[type='submit']",
    errors=f"{FORM_SELECTOR} .error-message, .application-error",
    busy=f"{FORM_SELECTOR} button[type='submit'][disabled], #btn-submit[disabled]",
)
