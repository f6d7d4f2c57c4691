"""Workday: its posting, its sign-in, and its multi-step application, step by step up to the Review page.

Workday's candidate pages carry `data-automation-id` hooks on every control and no `<form>` at all:
the posting's "Apply" (`adventureButton`) leads to "Apply Manually" (`applyManually`), then to a
sign-in panel with "Create Account" (`signInContent`, `createAccountPanel`), then to the steps shown
in the `progressBar` (My Information, My Experience, Application Questions, Voluntary Disclosures,
Self Identify, Review). Each step is filled by the universal filler (labels are bound to inputs)
plus Workday's widgets: lists are buttons (`button[aria-haspopup=listbox]`, "Select One") whose
options pop up in a `wd-popup` listbox, "How Did You Hear About Us?" is a search prompt
(`multiselectInputContainer`, `promptOption`), the résumé goes into `file-upload-input-ref` and
Workday parses it into the work experience, which is left as parsed. A step is left with "Save and
Continue" (`bottom-navigation-next-button` / `pageFooterNextButton`) only when every required
field on it holds a value; otherwise the walk stops there so that its questions can be settled
(saved answers, the LLM, the chat), and reading the form back walks on. On the Review page the same
bottom button says "Submit": the signature declares it as the submit control, so the submit guard
refuses it until the approved submit (`submit`) clicks it once.

What the review shows of a step already left is what that step held when it was saved; a correction to it
goes back to that step with Workday's own "Back" button and walks forward again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    EmptyReason,
    FilledForm,
    FillSource,
    SubmitResult,
    UnsupportedForm,
    normalised,
)
from automation.adapters.by_meaning import Decision
from automation.adapters.controls import Answer, fill_order, fill_question, shown
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedField, PlannedForm
from automation.adapters.signin import AccountForm, Entry, EntryOutcome
from automation.adapters.universal import plan_by_meaning, planned_field
from automation.adapters.vendors import VendorSignature
from automation.field_meaning import Meaning
from automation.questions import Choice, Question, QuestionKind, best_option

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.credentials import Account
    from storage.models import Profile

NEXT_BUTTON = (
    '[data-automation-id="bottom-navigation-next-button"], [data-automation-id="pageFooterNextButton"], '
    '[data-automation-id="bottom-navigation-submit-button"], [data-automation-id="pageFooterSubmitButton"]'
)
SUBMIT_TEXT = r"^\s*submit\b"
ERRORS = '[data-automation-id="errorMessage"], [data-automation-id="errorBanner"], [role="alert"]'
LISTBOX = 'button[aria-haspopup="listbox"]'
POPUP_OPTIONS = '[data-automation-widget="wd-popup"] [role="option"]'
PROMPT_OPTIONS = '[data-automation-id="promptOption"]'
REVIEW = "Review"
STEP_SEPARATOR = " » "  # a plan selector: the step's name, then the control's selector on that step
# Entries Workday parsed from the résumé: shown in the review as parsed, never overwritten from the profile.
PARSED_SECTIONS = '[data-automation-id^="workExperience-"], [data-automation-id^="education-"]'
# The number in a profile is a mobile's unless it says otherwise; Workday requires a device type.
DEVICE_TYPE = "Mobile"
WAIT_S = 15.0
OPTIONS_WAIT_S = 3.0

WORKDAY = VendorSignature(
    name="workday",
    form="body",
    fields=(
        '[data-automation-id="adventureButton"], [data-automation-id="applyManually"], '
        '[data-automation-id="signInContent"], [data-automation-id="createAccountPanel"], '
        '[data-automation-id="progressBar"], [data-automation-id="applyFlowPage"]',
    ),
    hosts=re.compile(r"[a-z0-9-]+\.(wd\d+\.)?(myworkdayjobs|myworkdaysite)\.com"),
    submit=NEXT_BUTTON,
    submit_text=SUBMIT_TEXT,
)

SIGNALS = SubmitSignals(
    ats="workday",
    submit_candidates=NEXT_BUTTON,
    submit_text=SUBMIT_TEXT,
    errors=ERRORS,
    busy='[data-automation-id="bottom-navigation-next-button"][disabled]',
    phrases=("application submitted", "thank you for applying", "thanks for applying"),
)

# Where the application stands: the active step's name, errors shown, the sign-in panels.
STATE_JS = """
() => {
  const shown = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const text = (el) => (el ? el.innerText : '').replace(/\\s+/g, ' ').trim();
  const q = (id) => document.querySelector('[data-automation-id="' + id + '"]');
  const errors = [...document.querySelectorAll('[data-automation-id="errorMessage"], [data-automation-id="errorBanner"]')]
    .filter(shown).map(text).filter(Boolean);
  return {
    ready: document.readyState === 'complete',
    step: text(q('progressBarActiveStep')) || null,
    posting: shown(q('adventureButton')), start: shown(q('applyManually')),
    signIn: shown(q('signInContent')), createAccount: shown(q('createAccountPanel')),
    submitted: /application submitted/i.test(document.body ? document.body.innerText : ''),
    errors,
  };
}
"""

# Workday's list buttons and search prompts on the page: label, value, whether required.
WIDGETS_JS = """
(parsedSections) => {
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const clean = (t) => (t || '').replace(/[*\\u2731]/g, ' ').replace(/\\s+/g, ' ').trim();
  const labelOf = (el) => {
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(id => id && id !== el.id);
    const byIds = ids.map(id => document.getElementById(id)).filter(Boolean).map(n => n.innerText).join(' ');
    return byIds || [...(el.labels || [])].map(l => l.innerText).join(' ') || el.getAttribute('aria-label') || '';
  };
  const selectorOf = (el) => el.id ? '#' + CSS.escape(el.id)
    : '[data-automation-id="' + CSS.escape(el.getAttribute('data-automation-id') || '') + '"]';
  const lists = [...document.querySelectorAll('button[aria-haspopup="listbox"]')].filter(shown).map(b => {
    const raw = labelOf(b);
    const value = clean(b.innerText);
    return {kind: 'listbox', selector: selectorOf(b), hook: b.getAttribute('data-automation-id') || '',
            label: clean(raw), required: b.getAttribute('aria-required') === 'true' || /[*\\u2731]/.test(raw),
            value: /^select one$/i.test(value) ? '' : value};
  });
  const prompts = [...document.querySelectorAll('[data-automation-id="multiselectInputContainer"] input')].filter(shown)
    .map(input => {
      const field = input.closest('[data-automation-id^="formField-"]') || input.parentElement.parentElement;
      const chosen = [...field.querySelectorAll('[data-automation-id="selectedItem"]')].map(e => clean(e.innerText));
      return {kind: 'prompt', selector: selectorOf(input), hook: 'prompt', label: clean(labelOf(input)),
              required: input.getAttribute('aria-required') === 'true', value: chosen.join(', ')};
    });
  // The résumé drop zone's input has neither id nor name: only its automation id.
  const files = [...document.querySelectorAll('input[type="file"][data-automation-id="file-upload-input-ref"]')]
    .map(input => {
      const zone = input.closest('[data-automation-id="resumeSection"], .file-upload') || input.parentElement;
      const heading = zone.querySelector('h3, h4, label');
      const uploaded = [...zone.querySelectorAll('[data-automation-id="file-upload-item-name"]')]
        .filter(shown).map(e => clean(e.innerText)).filter(Boolean);
      const chosen = input.files && input.files.length ? [...input.files].map(f => f.name) : [];
      const raw = heading ? heading.innerText : 'Resume/CV';
      return {kind: 'file', selector: '[data-automation-id="file-upload-input-ref"]', hook: 'file-upload-input-ref',
              label: clean(raw), required: /[*\u2731]/.test(raw), value: (uploaded.length ? uploaded : chosen).join(', ')};
    });
  // Workday names its controls by automation id (read_questions knows data-ui/data-qa/data-testid only).
  const hooks = {};
  for (const el of document.querySelectorAll('input[id][data-automation-id], textarea[id][data-automation-id]')) {
    hooks['#' + CSS.escape(el.id)] = el.getAttribute('data-automation-id');
  }
  const parsed = [...document.querySelectorAll(parsedSections)].flatMap(section =>
    [...section.querySelectorAll('input, textarea')].map(selectorOf));
  return {widgets: [...lists, ...prompts, ...files], parsed, hooks};
}
"""

CLOSE_POPUP_JS = """
() => { document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));
        document.querySelectorAll('[data-automation-widget="wd-popup"]').forEach(p => p.remove()); }
"""

TENANT_JS = """
() => {
  const tenant = (window.workday && typeof window.workday.tenant === 'string') ? window.workday.tenant : '';
  const host = location.hostname.toLowerCase();
  return host.startsWith(tenant.toLowerCase() + '.') || !tenant ? host : host + '/' + tenant.toLowerCase();
}
"""


class WorkdayAdapter(PlannedForm, AccountForm):
    name = "workday"
    vendor = "workday"
    signature = WORKDAY

    def __init__(self) -> None:
        super().__init__()
        self.left: dict[str, str] = {}  # plan selector -> what a step held when it was saved
        self.filled_steps: set[str] = set()
        self.widgets: dict[str, str] = {}  # plan selector -> "listbox" | "prompt"
        self.profile: Profile | None = None
        self.files = ApplicantFiles(resume=None)

    # --- the account ---

    async def tenant(self, browser: BrowserSession) -> str:
        return str(await page_js.evaluate(browser, TENANT_JS))

    async def enter(self, browser: BrowserSession, account: Account, *, create: bool) -> Entry:
        state = await self._state(browser)
        if state.get("posting"):
            await page_js.click(browser, '[data-automation-id="adventureButton"]')
            state = await self._wait_state(browser, lambda s: s.get("start") or s.get("signIn") or s.get("step"))
        if state.get("start"):
            await page_js.click(browser, '[data-automation-id="applyManually"]')
            state = await self._wait_state(browser, lambda s: s.get("signIn") or s.get("step"))
        if state.get("step"):
            return Entry(EntryOutcome.SIGNED_IN)  # the session is still signed in
        if not state.get("signIn") and not state.get("createAccount"):
            return Entry(EntryOutcome.REFUSED, "the page shows no sign-in")
        panel = '[data-automation-id="createAccountPanel"]' if create else '[data-automation-id="signInContent"]'
        if create and not state.get("createAccount"):
            await page_js.click(browser, '[data-automation-id="createAccountLink"]')
            await self._wait_state(browser, lambda s: s.get("createAccount"))
        elif not create and not state.get("signIn"):
            await page_js.click(browser, '[data-automation-id="signInLink"]')
            await self._wait_state(browser, lambda s: s.get("signIn"))
        await page_js.set_value(browser, f'{panel} [data-automation-id="email"]', account.email)
        await page_js.set_value(browser, f'{panel} [data-automation-id="password"]', account.password)
        if create:
            await page_js.set_value(browser, f'{panel} [data-automation-id="verifyPassword"]', account.password)
            await page_js.set_checked(browser, f'{panel} [data-automation-id="createAccountCheckbox"]', True)
        button = "createAccountSubmitButton" if create else "signInSubmitButton"
        shown_before = (await self._state(browser)).get("errors") or []  # an earlier attempt's words stay a while
        await page_js.click(browser, f'{panel} [data-automation-id="{button}"]')
        state = await self._wait_state(browser, lambda s: s.get("step") or (s.get("errors") or []) != shown_before)
        if state.get("step"):
            return Entry(EntryOutcome.SIGNED_IN)
        return Entry(EntryOutcome.REFUSED, "; ".join(state.get("errors") or ["no answer from the page"]))

    # --- filling, step by step ---

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not (await self._state(browser)).get("step"):
            raise UnsupportedForm("This Workday application needs signing in first: apply through the chat.")
        self.profile, self.files = profile, files
        await self._walk(browser)
        return await self._read(browser)

    async def read_back(self, browser: BrowserSession) -> FilledForm:
        """The form as it reads now; a step whose questions were settled meanwhile is saved and the walk goes on."""
        if self.profile is not None:
            await self._walk(browser)
        return await self._read(browser)

    async def _read(self, browser: BrowserSession) -> FilledForm:
        await page_js.evaluate(browser, "() => window.scrollTo(0, 0)")
        return await PlannedForm.read_back(self, browser)

    async def _walk(self, browser: BrowserSession) -> None:
        while True:
            step = (await self._state(browser)).get("step")
            if not step or step == REVIEW:
                return
            if step not in self.filled_steps:
                await self._fill_step(browser, step)
                self.filled_steps.add(step)
            if not await self._step_complete(browser, step) or not await self._save_and_continue(browser, step):
                return

    async def _fill_step(self, browser: BrowserSession, step: str) -> None:
        assert self.profile is not None
        questions, parsed = await self._step_questions(browser, step, with_options=True)
        questions = [q for q in questions if q.selector not in parsed]
        decisions = plan_by_meaning(questions, self.profile, self.files)
        for question in questions:
            if question.hook == "phone-device-type":
                option = best_option(DEVICE_TYPE, [choice.label for choice in question.choices])
                value = question.choices[option].label if option is not None else None
                decisions[question.selector] = Decision(Meaning.UNKNOWN, value, FillSource.ADAPTER, None)
            elif question.hook == "phone-extension":
                decisions[question.selector] = Decision(Meaning.UNKNOWN, None, None, EmptyReason.OPTIONAL)
        intended: dict[str, str | None] = {}
        for question in sorted(questions, key=fill_order):
            intended[question.selector] = await self.put_answer(browser, question, decisions[question.selector].value)
        self._add_to_plan(
            planned_field(question, intended[question.selector], decisions[question.selector], self.profile)
            for question in questions
        )
        await self.wait_for_uploads(browser)
        # What Workday parsed from the résumé (shown once it is uploaded) goes as parsed, and the review shows it.
        questions, parsed = await self._step_questions(browser, step, with_options=False)
        self._add_to_plan(
            PlannedField(
                q.selector,
                q.label,
                q.required,
                q.value or None,
                source=FillSource.ADAPTER if q.value else None,
                reason=None if q.value else EmptyReason.LEFT_ALONE,
            )
            for q in questions
            if q.selector in parsed
        )

    def _add_to_plan(self, fields: Iterable[PlannedField]) -> None:
        known = {field.selector for field in self.plan}
        self.plan.extend(field for field in fields if field.selector not in known)

    async def _step_complete(self, browser: BrowserSession, step: str) -> bool:
        now = await self.actual_values(browser)
        return all(
            now.get(field.selector, "").strip()
            for field in self.plan
            if field.required and field.selector.startswith(step + STEP_SEPARATOR)
        )

    async def _save_and_continue(self, browser: BrowserSession, step: str) -> bool:
        """Save the step and go to the next one; False when Workday refused it (its errors show)."""
        self.left.update(await self.actual_values(browser))
        await page_js.click(
            browser, '[data-automation-id="bottom-navigation-next-button"], [data-automation-id="pageFooterNextButton"]'
        )
        state = await self._wait_state(browser, lambda s: (s.get("step") and s.get("step") != step) or s.get("errors"))
        return bool(state.get("step")) and state.get("step") != step

    # --- the controls of a step, with plan selectors (the step's name, then the control's selector) ---

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        step = (await self._state(browser)).get("step")
        if not step or step == REVIEW:
            return []
        questions, _ = await self._step_questions(browser, step, with_options=False)
        return questions

    async def _step_questions(
        self, browser: BrowserSession, step: str, *, with_options: bool
    ) -> tuple[list[Question], set[str]]:
        found = await page_js.evaluate(browser, WIDGETS_JS, PARSED_SECTIONS)
        prompts = {w["selector"] for w in found["widgets"] if w["kind"] == "prompt"}
        plain = [
            dataclasses.replace(q, hook=q.hook or found["hooks"].get(q.selector, ""))
            for q in await page_js.read_questions(browser, "body")
            if q.selector not in prompts
        ]
        widgets = []
        for widget in found["widgets"]:
            choices: tuple[Choice, ...] = ()
            if widget["kind"] == "listbox":
                labels = await self._list_options(browser, widget["selector"]) if with_options else ()
                if not labels and widget["value"]:
                    labels = (widget["value"],)
                choices = tuple(Choice(label, label, label == widget["value"], "") for label in labels)
            widgets.append(
                Question(
                    kind=QuestionKind({"listbox": "select", "file": "file"}.get(widget["kind"], "text")),
                    name="",
                    id="",
                    hook=widget["hook"],
                    selector=widget["selector"],
                    label=widget["label"],
                    required=widget["required"],
                    value=widget["value"],
                    choices=choices,
                )
            )
        qualified = []
        for question in [*plain, *widgets]:
            selector = f"{step}{STEP_SEPARATOR}{question.selector}"
            if question in widgets and question.kind != "file":
                self.widgets[selector] = "listbox" if question.kind == "select" else "prompt"
            qualified.append(dataclasses.replace(question, selector=selector))
        parsed = {f"{step}{STEP_SEPARATOR}{selector}" for selector in found["parsed"]}
        return qualified, parsed

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        now = {question.selector: shown(question) for question in await self.page_questions(browser)}
        return {**self.left, **now}

    async def put_answer(self, browser: BrowserSession, question: Question, value: Answer) -> str | None:
        if value is None:
            return None
        on_page = dataclasses.replace(question, selector=question.selector.split(STEP_SEPARATOR, 1)[-1])
        widget = self.widgets.get(question.selector)
        if widget == "listbox":
            return await self._choose(browser, on_page.selector, str(value))
        if widget == "prompt":
            return await self._prompt(browser, on_page.selector, str(value))
        return await fill_question(browser, on_page, value)

    async def answer(self, browser: BrowserSession, answers: Mapping[str, str]) -> None:
        """Answers for the step on screen go in here; one for a step already saved (a correction at the review)
        takes the application back to that step with Workday's own "Back", and reading back walks on again."""
        step = (await self._state(browser)).get("step") or ""
        here = {key: value for key, value in answers.items() if key.startswith(step + STEP_SEPARATOR)}
        if here:
            await PlannedForm.answer(self, browser, here)
        order = [field.selector for field in self.plan]
        earlier = sorted(
            (
                key
                for key in answers.keys() - here.keys()
                if key in order and normalised(self.left.get(key)) != normalised(answers[key])
            ),
            key=order.index,
        )
        for target in dict.fromkeys(key.split(STEP_SEPARATOR, 1)[0] for key in earlier):
            if await self._back_to(browser, target):
                await PlannedForm.answer(
                    self, browser, {key: answers[key] for key in earlier if key.startswith(target + STEP_SEPARATOR)}
                )

    async def _back_to(self, browser: BrowserSession, target: str) -> bool:
        for _ in range(len(self.filled_steps) + 1):
            step = (await self._state(browser)).get("step")
            if step == target:
                return True
            if not step:
                return False
            await page_js.click(browser, '[data-automation-id="bottom-navigation-previous-button"]')
            await self._wait_state(browser, self._moved_off(step))
        return (await self._state(browser)).get("step") == target

    @staticmethod
    def _moved_off(step: str) -> Callable[[dict[str, Any]], object]:
        """A predicate on the state: the application has left `step`."""
        return lambda state: state.get("step") and state.get("step") != step

    # --- Workday's widgets ---

    async def _list_options(self, browser: BrowserSession, selector: str) -> tuple[str, ...]:
        await page_js.click(browser, selector)
        texts = await page_js.wait_until(
            browser,
            page_js.for_selectors(page_js.LISTED_OPTIONS_JS, POPUP_OPTIONS),
            POPUP_OPTIONS,
            timeout_s=OPTIONS_WAIT_S,
        )
        await page_js.evaluate(browser, CLOSE_POPUP_JS)
        return tuple(text for text in texts or () if text)

    async def _choose(self, browser: BrowserSession, selector: str, value: str) -> str:
        await page_js.click(browser, selector)
        chosen = await page_js.pick_listed_option(browser, POPUP_OPTIONS, value, timeout_s=OPTIONS_WAIT_S)
        if chosen is None:
            await page_js.evaluate(browser, CLOSE_POPUP_JS)
            return value  # no option says it: the reading shows the difference
        return chosen

    async def _prompt(self, browser: BrowserSession, selector: str, value: str) -> str:
        await page_js.type_text(browser, selector, value)
        chosen = await page_js.pick_listed_option(browser, PROMPT_OPTIONS, value, timeout_s=OPTIONS_WAIT_S)
        return chosen if chosen is not None else value

    # --- submitting ---

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        if (await self._state(browser)).get("step") != REVIEW:
            raise UnsupportedForm("The Workday application is not on its Review page; nothing was sent.")
        return await submit_form(browser, SIGNALS)

    # --- where the application stands ---

    async def _state(self, browser: BrowserSession) -> dict[str, Any]:
        try:
            state: dict[str, Any] = await page_js.evaluate(browser, STATE_JS) or {}
            return state
        except page_js.PageScriptError:
            return {}

    async def _wait_state(self, browser: BrowserSession, done: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while True:
            try:
                state: dict[str, Any] = await page_js.evaluate(browser, STATE_JS) or {}
            except Exception:  # noqa: BLE001 - between documents there is briefly no page to ask
                state = {}
            if state.get("ready") and done(state):
                return state
            if loop.time() >= deadline:
                return state
            await asyncio.sleep(0.1)
