"""Any application form, filled by the meaning of its controls: the adapter for pages no vendor claims.

Reads every control of the page (open shadow roots included) with its label, name, autocomplete
token, placeholder, legend and nearby text, decides each one's meaning (`automation.field_meaning`)
and puts in what the profile says (`by_meaning.decide`): names, contact, place, company and title,
links, years, files, self-identification (declined when the profile declines), and the legal and
logistics questions the profile settles. A phone's calling-code `<select>` gets the number's
country and the number field the rest. Marketing consents, honeypots and controls of unknown
meaning are left alone; a value already there is replaced, never appended to. No LLM is involved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from automation import page_js, submit_guard
from automation.adapters.base import ApplicantFiles, FilledForm, FillSource, SubmitResult, UnsupportedForm
from automation.adapters.by_meaning import Decision, decide
from automation.adapters.controls import fill_order, fill_question, is_consent, list_questions, shown
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import KINDS, PlannedField, PlannedForm, asks_question
from automation.adapters.profile_values import country_for_phone, dial_code_select
from automation.adapters.vendors import VendorSignature
from automation.field_meaning import QUESTION_MEANINGS, Meaning
from automation.questions import Choice, Question

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

ROOT_SELECTOR = ">>> body"  # the whole page, open shadow roots included

# What a form's own submit control says, in English, German, French and Spanish.
SUBMIT_WORDS = (
    r"^\s*(submit|send|apply|finish|complete)\b|\b(submit|send)\s+(my\s+|your\s+|the\s+)?application\b"
    r"|\babsenden\b|\bbewerbung\s+senden\b|\bjetzt\s+bewerben\b|\bverschicken\b|\benvoyer\b|\bpostuler\b"
    r"|\benviar\b|\bsolicitar\b"
)
ERRORS = "[role='alert'], .error, .errors, .field-error, .invalid-feedback, .form-error"
BUSY = "form button[type='submit'][disabled], form [aria-busy='true']"
# First the form's own submit controls; a form that sends by script (a link or a plain button) after that.
UNIVERSAL_SIGNALS = (
    SubmitSignals(
        ats="universal",
        errors=ERRORS,
        busy=BUSY,
        submit_text=SUBMIT_WORDS,
        submit_candidates="form button:not([type='button']):not([type='reset']), form input[type='submit']",
    ),
    SubmitSignals(
        ats="universal",
        errors=ERRORS,
        busy=BUSY,
        submit_text=SUBMIT_WORDS,
        submit_candidates="form button, form a[href], form [role='button'], button, a[href], [role='button']",
    ),
)

# Visible text-like controls, selects or textareas anywhere on the page (open shadow roots included).
FILLABLE_FORM_JS = page_js.through_shadow_roots("""
() => {
  const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  return [...document.querySelectorAll('input, textarea, select')]
    .filter(el => !skip.has((el.type || '').toLowerCase()) && shown(el)).length;
}
""")
MIN_FILLABLE_CONTROLS = 2  # one lone box is a search field or a newsletter sign-up, not an application
MAX_FORM_STEPS = 6  # a data consent, then the form's own steps
STEP_TIMEOUT_S = 10.0
STEP_CANDIDATE = "data-nyx-step-candidate"
# What tells one step from the next: the address and the controls in view.
STEP_FINGERPRINT_JS = """
() => location.href + '|' + [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.getClientRects().length > 0).map(el => el.name || el.id || el.type).join(',')
"""

# An application form in view: at least three visible controls, one of them an e-mail field or a file input
# (a careers page's search and newsletter boxes are not one; its "Apply" link leads to one).
APPLICATION_FORM_JS = page_js.through_shadow_roots("""
() => {
  const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const controls = [...document.querySelectorAll('input, textarea, select')]
    .filter(el => !skip.has((el.type || '').toLowerCase()) && (shown(el) || el.type === 'file'));
  const visible = controls.filter(shown);
  const contact = controls.some(el => el.type === 'file' || el.type === 'email'
    || /e-?mail/i.test((el.name || '') + ' ' + (el.id || '') + ' ' + (el.getAttribute('autocomplete') || '')));
  return visible.length >= 3 && contact;
}
""")


async def shows_application_form(browser: BrowserSession) -> bool:
    """The page already shows an application form, whoever made it: no "Apply" needs following."""
    try:
        return bool(await page_js.evaluate(browser, APPLICATION_FORM_JS))
    except page_js.PageScriptError:
        return False


# Whether a visible element among the candidates says a submit word.
MARKABLE_JS = """
(candidates, pattern) => {
  const words = new RegExp(pattern, 'i');
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const text = (el) => (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim();
  return [...document.querySelectorAll(candidates)].some(el => shown(el) && words.test(text(el)));
}
"""


async def has_fillable_form(browser: BrowserSession) -> bool:
    """The page shows controls to fill (open shadow roots included)."""
    try:
        count = await page_js.evaluate(browser, FILLABLE_FORM_JS)
    except page_js.PageScriptError:
        return False
    return (count or 0) >= MIN_FILLABLE_CONTROLS


class UniversalAdapter(PlannedForm):
    """Fills any form by meaning; given a vendor's signature (vendor_forms), it serves that vendor's pages,
    going through the steps its signature declares."""

    name = "universal"

    def __init__(self, vendor: VendorSignature | None = None) -> None:
        super().__init__()
        self.vendor = vendor
        if vendor is not None:
            self.name = vendor.name
        self.list_options: dict[str, tuple[Choice, ...]] = {}  # list controls' options read by opening them
        self.earlier: dict[str, str] = {}  # what the fields of steps already left showed when left

    @classmethod
    def matches_url(cls, url: str) -> bool:
        return False  # never by address: it is what serves pages no vendor claims

    @classmethod
    async def matches_page(cls, browser: BrowserSession) -> bool:
        return await has_fillable_form(browser)

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        self.plan, self.earlier = [], {}
        for step in range(MAX_FORM_STEPS):
            questions = [
                q
                for q in await self.page_questions(browser)
                if q.selector not in {field.selector for field in self.plan}
            ]
            if not questions and step == 0:
                raise UnsupportedForm("There is no form to fill on this page.")
            decisions = plan_by_meaning(questions, profile, files)
            intended: dict[str, str | None] = {}
            for question in sorted(questions, key=fill_order):
                intended[question.selector] = await fill_question(browser, question, decisions[question.selector].value)
            self.plan += [
                planned_field(question, intended[question.selector], decisions[question.selector], profile)
                for question in questions
            ]
            await self.wait_for_uploads(browser)
            if not await self._next_step(browser):
                break
        # Back to the top, as a person reviewing (or the agent taking over, which sees what is in view) starts.
        await page_js.evaluate(browser, "() => window.scrollTo(0, 0)")
        return await self.read_back(browser)

    async def _next_step(self, browser: BrowserSession) -> bool:
        """Move a multi-step form on by its vendor's step control, if one shows; False when none does (the
        last step, reviewed and later submitted as a whole). Only through the submit guard's step, which
        refuses (SubmitRefused) a control that would send the form or reads like its final submit."""
        if self.vendor is None or not self.vendor.steps:
            return False
        if not await page_js.mark_element(browser, self.vendor.steps, self.vendor.step_text, STEP_CANDIDATE):
            return False
        guard = submit_guard.guard_of(browser)
        if guard is None:
            raise page_js.SubmitRefused("no submit guard in this browser: a step could send the form")
        self.earlier.update(await self._shown_values(browser))
        before = await page_js.evaluate(browser, STEP_FINGERPRINT_JS)
        await guard.take_step(browser, f"[{STEP_CANDIDATE}]", SUBMIT_WORDS)
        await guard.cover(browser)
        moved = await page_js.wait_until(
            browser,
            f"(before) => ({STEP_FINGERPRINT_JS})() !== before && document.readyState === 'complete'",
            before,
            timeout_s=STEP_TIMEOUT_S,
        )
        if not moved:
            raise UnsupportedForm("The form did not move on to its next step.")
        return True

    async def _shown_values(self, browser: BrowserSession) -> dict[str, str]:
        return {question.selector: shown(question) for question in await self.page_questions(browser)}

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        """What the page shows now, and for the fields of steps already left, what they showed then."""
        return {**self.earlier, **await self._shown_values(browser)}

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        controls = await page_js.read_questions(browser, ROOT_SELECTOR)
        return controls + await list_questions(browser, ROOT_SELECTOR, self.list_options)

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        form_submit, by_script = UNIVERSAL_SIGNALS
        if await page_js.evaluate(
            browser, page_js.for_selectors(MARKABLE_JS), form_submit.submit_candidates, SUBMIT_WORDS
        ):
            return await submit_form(browser, form_submit)
        return await submit_form(browser, by_script)


def plan_by_meaning(questions: list[Question], profile: Profile, files: ApplicantFiles) -> dict[str, Decision]:
    """Selector -> what goes there, for every control of a form."""
    links_used: set[str] = set()
    decisions = {question.selector: decide(question, profile, files, links_used) for question in questions}
    _phone_with_country(questions, decisions, profile)
    _lone_file_is_resume(questions, decisions, files)
    return decisions


def _phone_with_country(questions: list[Question], decisions: dict[str, Decision], profile: Profile) -> None:
    """A calling-code select beside the phone: the number's country there, the rest of the number in the field."""
    picker = dial_code_select(questions) or next(
        (
            q
            for q in questions
            if q.kind in ("select", "listbox") and decisions[q.selector].meaning is Meaning.PHONE_COUNTRY
        ),
        None,
    )
    phone = next((q for q in questions if decisions[q.selector].meaning is Meaning.PHONE and q is not picker), None)
    if picker is None or phone is None or not profile.phone:
        return
    found = country_for_phone(profile.phone, profile.location, picker.choices)
    if found is None:
        return
    index, national = found
    decisions[picker.selector] = Decision(
        Meaning.PHONE_COUNTRY, picker.choices[index].label, FillSource.UNIVERSAL, None
    )
    decisions[phone.selector] = Decision(Meaning.PHONE, national, FillSource.UNIVERSAL, None)


def _lone_file_is_resume(questions: list[Question], decisions: dict[str, Decision], files: ApplicantFiles) -> None:
    """The only file input of a form, whatever its label says, takes the résumé."""
    uploads = [q for q in questions if q.kind == "file" and decisions[q.selector].meaning is not Meaning.HONEYPOT]
    if len(uploads) == 1 and decisions[uploads[0].selector].value is None and files.resume is not None:
        decisions[uploads[0].selector] = Decision(Meaning.RESUME, files.resume, FillSource.UNIVERSAL, None)


def planned_field(question: Question, intended: str | None, decision: Decision, profile: Profile) -> PlannedField:
    # The form's own questions are those a later step may answer: not profile fields, consents or what is left alone.
    answerable = question.kind in KINDS and not is_consent(question) and not decision.meaning.left_alone
    own_question = decision.meaning in QUESTION_MEANINGS or asks_question(question.label, profile)
    unknown = decision.meaning is Meaning.UNKNOWN and question.kind in KINDS
    return PlannedField(
        selector=question.selector,
        label=question.label,
        required=question.required,
        intended=intended,
        is_question=(answerable and own_question) or unknown,
        is_file=question.kind == "file",
        source=decision.source,
        reason=decision.reason,
    )
