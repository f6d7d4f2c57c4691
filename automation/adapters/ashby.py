"""Ashby application forms (jobs.ashbyhq.com/<company>/<job>/application).

Ashby renders its form with React and without a `<form>` element: every question is a
`.ashby-application-form-field-entry` block with a label. Name, e-mail and résumé have
stable system ids (`_systemfield_*`); phone, links and custom questions have generated
ids and are known only by their label. Yes/no questions are a `_yesno` pair of toggle buttons
whose answer lives in React state (the pressed one shows it by `aria-pressed` or an `_active_`
class); single choices are a combobox whose listbox opens on click, or radios; several choices
are checkboxes. The location is a typeahead that only takes a suggestion it listed. The
voluntary U.S. EEO survey (`_systemfield_eeoc_*`) is answered from the profile's
self-identification, declining by default. No LLM is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from automation import page_js
from automation.adapters.base import (
    ApplicantFiles,
    FilledForm,
    SubmitResult,
    UnsupportedForm,
)
from automation.adapters.by_meaning import standard_answer
from automation.adapters.controls import is_consent
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedField, PlannedForm, asks_question, attribution
from automation.adapters.profile_values import (
    consent_answer,
    eeo_answer,
    eeo_topic,
    saved_answer,
)
from automation.adapters.standard_fields import intended_value
from automation.adapters.vendors import VendorSignature
from automation.page_js import Control
from automation.questions import (
    Choice,
    Question,
    QuestionKind,
    best_option,
    choose,
    choose_many,
    decline_option,
    option_key,
    polarity,
)

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

ENTRY_SELECTOR = ".ashby-application-form-field-entry"
LABEL_SELECTOR = ".ashby-application-form-question-title, label"
ASHBY_SIGNALS = SubmitSignals(
    ats="ashby",
    submit_candidates=".ashby-application-form-submit-button, .ashby-application-form-container button",
    errors=(
        ".ashby-application-form-container [role='alert'], .ashby-application-form-container [class*='errorMessage']"
    ),
    busy=".ashby-application-form-submit-button[disabled], .ashby-application-form-container [aria-busy='true']",
)
ASHBY = VendorSignature(
    name="ashby",
    # No <form>: the e-mail's question block must show (the form is a tab of the posting page).
    form=ENTRY_SELECTOR,
    fields=("#_systemfield_email, [name='_systemfield_email']",),
    hosts=re.compile(r"jobs\.ashbyhq\.com"),
    submit=ASHBY_SIGNALS.submit_candidates,
    embeds=("#ashby_embed iframe", "iframe#ashby_embed_iframe", "iframe[src*='jobs.ashbyhq.com/']"),
)

SYSTEM_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "_systemfield_name": lambda profile: profile.full_name,
    "_systemfield_email": lambda profile: str(profile.email),
    "_systemfield_phone": lambda profile: profile.phone,
    "_systemfield_location": lambda profile: profile.location,
}
PHONE_LABEL = re.compile(r"^((mobile|cell|home|work) )?phone( number)?$")
RESUME_LABEL = re.compile(r"\b(resume|cv)\b")
COVER_LETTER_LABEL = re.compile(r"\bcover letter\b")
LOCATION_ID = "_systemfield_location"
LOCATION_LABELS = frozenset({"location", "current location", "city", "location city"})
EEO_ID = "_systemfield_eeoc_"

# How each kind of block reads as a question: toggle buttons and radios are a radio group,
# checkboxes a checkbox group (or one box), a combobox takes text.
QUESTION_KINDS = {
    "text": "text",
    "select": "select",
    "buttons": "radio",
    "radios": "radio",
    "checkboxes": "checkbox",
    "combobox": "text",
    "file": "file",
}
CHOICE_KINDS = frozenset({"select", "buttons", "radios", "checkboxes", "combobox"})

LISTBOX_TIMEOUT_S = 5.0
BLUR_JS = "() => document.activeElement && document.activeElement.blur()"


@dataclass(frozen=True)
class _Entry:
    """One question block as the page shows it."""

    scope: str  # selects the block itself
    kind: str  # "text" | "file" | "select" | "combobox" | "buttons" | "radios" | "checkboxes" | "other"
    id: str  # the input's id or name, else the block's field path
    selector: str  # the input (for buttons, radios and checkboxes: all of them)
    tag: str
    type: str
    label: str
    required: bool
    value: str  # as shown: text, file name, chosen option(s), pressed button; a lone box "Yes" or ""
    options: tuple[str, ...]  # captions of the buttons, radios, checkboxes, select options or listed options
    options_selector: str  # what to click for each option (buttons, radio/checkbox labels, listbox options)
    checked: tuple[bool, ...] = ()  # checkboxes: which are ticked

    @property
    def control(self) -> Control:
        role = "combobox" if self.kind == "combobox" else ""
        return Control(self.id, self.selector, self.tag, self.type, role, self.label, self.required, self.value)

    @property
    def key(self) -> str:
        """Finds the block's control again (the buttons, for a yes/no block)."""
        return self.selector or self.scope

    @property
    def is_location(self) -> bool:
        return self.kind == "combobox" and (self.id == LOCATION_ID or option_key(self.label) in LOCATION_LABELS)

    @property
    def eeo_topic(self) -> str | None:
        """The self-identification a survey question asks (by its system field, else by its label)."""
        if self.kind not in CHOICE_KINDS:
            return None
        if EEO_ID in self.id:
            return eeo_topic(self.id.split(EEO_ID, 1)[1])
        declines = decline_option(self.options) is not None  # EEO questions offer to decline
        return eeo_topic(self.label) if declines else None

    def as_question(self) -> Question:
        ticked = self.checked or tuple(option == self.value for option in self.options)
        choices = tuple(Choice(option, option, on, "") for option, on in zip(self.options, ticked))
        kind = QuestionKind(QUESTION_KINDS.get(self.kind, "other"))
        return Question(
            self.id,
            self.label,
            kind,
            required=self.required,
            selector=self.key,
            value=self.value,
            choices=choices,
            options=self.options,
        )


class AshbyAdapter(PlannedForm):
    name = "ashby"
    signature = ASHBY

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Ashby application form on this page.")
        entries = await _read_entries(browser)
        self.plan = [_planned(entry, await _answer(browser, entry, profile, files), profile) for entry in entries]
        await self.wait_for_uploads(browser)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        return [entry.as_question() for entry in await _read_entries(browser) if entry.kind != "other"]

    async def put_answer(self, browser: BrowserSession, question: Question, value: str) -> str | None:
        entry = next((entry for entry in await _read_entries(browser) if entry.key == question.selector), None)
        if entry is None or entry.kind in ("file", "other"):
            return None
        if entry.kind == "text":
            await page_js.set_value(browser, entry.selector, value)
            return value
        if entry.is_location:
            return await _choose_location(browser, entry, value)
        return await _choose(browser, entry, value)

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        return {entry.key: entry.value for entry in await _read_entries(browser)}

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, ASHBY_SIGNALS)


async def _read_entries(browser: BrowserSession) -> list[_Entry]:
    rows = await page_js.evaluate(browser, _ENTRIES_JS, ENTRY_SELECTOR, LABEL_SELECTOR) or []
    return [_Entry(**{**row, "options": tuple(row["options"]), "checked": tuple(row["checked"])}) for row in rows]


async def _answer(browser: BrowserSession, entry: _Entry, profile: Profile, files: ApplicantFiles) -> str | None:
    """Put the profile's answer into one question block; returns what should now show there."""
    if entry.kind == "file":
        path = _file_for(entry, files)
        if path is not None:
            await page_js.set_files(browser, entry.selector, [path])
        return path.name if path else None
    if entry.kind == "text":
        value = _text_value(entry, profile, files)
        if value is not None:
            await page_js.set_value(browser, entry.selector, value)
        return value
    if entry.kind == "other":
        return None
    if entry.is_location:
        return await _choose_location(browser, entry, profile.location)
    answer = saved_answer(entry.label, profile)
    if answer is None and entry.kind == "checkboxes" and is_consent(entry.as_question()):
        answer = consent_answer(entry.as_question(), profile)
    if answer is None and (topic := entry.eeo_topic):
        answer = eeo_answer(topic, entry.options or await _listed_options(browser, entry), profile)
    if answer is None and not is_consent(entry.as_question()):
        by_meaning = standard_answer(entry.as_question(), profile, files)  # by its meaning: sponsorship, country, …
        answer = str(by_meaning) if by_meaning is not None else None  # as `fill_question` takes it
    if answer is None:
        return None
    return await _choose(browser, entry, answer)


async def _choose(browser: BrowserSession, entry: _Entry, answer: str) -> str:
    """Pick the option(s) of a choice block that say what `answer` says; returns what should then show."""
    if entry.kind == "checkboxes":
        return await _tick(browser, entry, answer)
    if entry.value and choose(answer, _choices([entry.value])) == 0:
        return entry.value  # already chosen; clicking a toggle again would undo it
    if entry.kind in ("buttons", "radios", "select"):
        index = choose(answer, _choices(entry.options))
        if index is None:
            return answer
        done = (
            await page_js.set_value(browser, entry.selector, entry.options[index])
            if entry.kind == "select"
            else await page_js.click_nth(browser, entry.options_selector, index)
        )
        return entry.options[index] if done else answer
    # combobox: its listbox opens on click
    await page_js.click(browser, entry.selector)
    chosen = await page_js.pick_listed_option(browser, entry.options_selector, answer, timeout_s=LISTBOX_TIMEOUT_S)
    if chosen is None:
        await page_js.evaluate(browser, BLUR_JS)
    return chosen or answer


async def _tick(browser: BrowserSession, entry: _Entry, answer: str) -> str:
    """Tick the checkboxes an answer names ("Python, PostgreSQL"), untick the rest; a lone box by yes/no."""
    if len(entry.options) == 1:
        tick = polarity(answer)
        if tick is None:
            tick = best_option(answer, entry.options) is not None
        picked = [0] if tick else []
    else:
        chosen = choose_many(answer, _choices(entry.options))
        if chosen is None:
            return answer  # nothing to tick for it: the reading shows the difference
        picked = chosen
    for index, ticked in enumerate(entry.checked):
        if (index in picked) != ticked:
            await page_js.click_nth(browser, entry.options_selector, index)
    if len(entry.options) == 1:
        return "Yes" if picked else ""
    return ", ".join(entry.options[index] for index in picked)


async def _choose_location(browser: BrowserSession, entry: _Entry, wanted: str | None) -> str | None:
    """Type the city and click the suggestion that best matches the whole location.

    Returns what the field should then show: the suggestion, or `wanted` when none matched
    (the typeahead drops typed text, so the reading shows the difference).
    """
    if not wanted:
        return None
    if entry.value and best_option(wanted, [entry.value]) == 0:
        return entry.value  # already chosen
    chosen = None
    if await page_js.type_text(browser, entry.selector, wanted.split(",", 1)[0].strip()):
        chosen = await page_js.pick_listed_option(browser, entry.options_selector, wanted, timeout_s=LISTBOX_TIMEOUT_S)
    if chosen is None:
        await page_js.evaluate(browser, BLUR_JS)
    return chosen or wanted


async def _listed_options(browser: BrowserSession, entry: _Entry) -> tuple[str, ...]:
    """A combobox's options, which a React listbox renders only while open."""
    if entry.kind != "combobox":
        return ()
    await page_js.click(browser, entry.selector)
    shown = await page_js.wait_until(
        browser, page_js.LISTED_OPTIONS_JS, entry.options_selector, timeout_s=LISTBOX_TIMEOUT_S
    )
    await page_js.evaluate(browser, BLUR_JS)
    return tuple(text for text in shown or () if text)


def _text_value(entry: _Entry, profile: Profile, files: ApplicantFiles) -> str | None:
    if entry.id in SYSTEM_FIELDS:
        return SYSTEM_FIELDS[entry.id](profile)
    if PHONE_LABEL.match(option_key(entry.label)):
        return profile.phone
    # Location and links by label, as on Greenhouse; then the saved answers.
    value = intended_value(entry.control, profile, files) or standard_answer(entry.as_question(), profile, files)
    return str(value) if value is not None else None  # as `fill_question` types it


def _choices(captions: tuple[str, ...] | list[str]) -> list[Choice]:
    return [Choice(label=caption, value=caption, checked=False, selector="") for caption in captions]


def _file_for(entry: _Entry, files: ApplicantFiles) -> Path | None:
    label = option_key(entry.label)
    if entry.id == "_systemfield_resume" or (not entry.id.startswith("_systemfield") and RESUME_LABEL.search(label)):
        return files.resume
    if COVER_LETTER_LABEL.search(label):
        return files.cover_letter
    return None


def _planned(entry: _Entry, intended: str | None, profile: Profile) -> PlannedField:
    source, reason = attribution(entry.as_question(), intended, profile)
    return PlannedField(
        source=source,
        reason=reason,
        selector=entry.key,
        label=entry.label,
        required=entry.required,
        intended=intended,
        is_question=entry.kind in ("text", *CHOICE_KINDS) and asks_question(entry.label, profile),
        is_file=entry.kind == "file",
    )


# Every shown question block, tagged with data-nyx-field so it can be addressed again; the
# clickable part of each radio or checkbox option (its label if shown) is tagged data-nyx-choice.
_ENTRIES_JS = """
(entrySelector, labelSelector) => {
  const clean = (text) => (text || '').replace(/[*\\u2731]/g, ' ').replace(/\\s+/g, ' ').trim();
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const caption = (el) => (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim();
  const pressed = (button) => button.getAttribute('aria-pressed') === 'true'
    || /(^|[\\s_-])active([\\s_-]|$)/i.test(button.className);
  const optionLabel = (input) => {
    const label = [...(input.labels || [])].find(shown);
    return label ? caption(label) : (input.getAttribute('aria-label') || input.value || input.name);
  };
  const entries = [...document.querySelectorAll(entrySelector)].filter(shown);
  return entries.map((entry, index) => {
    entry.setAttribute('data-nyx-field', String(index));
    const scope = '[data-nyx-field="' + index + '"]';
    const labelEl = entry.querySelector(labelSelector);
    const raw = labelEl ? labelEl.innerText : '';
    const row = {scope, kind: 'other', id: entry.getAttribute('data-field-path') || '', selector: '', tag: '',
                 type: '', label: clean(raw), required: /[*\\u2731]/.test(raw), value: '', options: [],
                 options_selector: '', checked: []};
    const input = entry.querySelector('textarea, select, input:not([type=hidden]):not([type=checkbox])'
      + ':not([type=radio]):not([type=button]):not([type=submit])');
    const buttons = [...entry.querySelectorAll('[class*="_yesno"] button, button[aria-pressed]')];
    const radios = [...entry.querySelectorAll('input[type=radio]')];
    // The yes/no pair keeps a hidden checkbox of its own: only boxes a user can see or click count.
    const boxes = [...entry.querySelectorAll('input[type=checkbox]')]
      .filter(box => shown(box) || [...(box.labels || [])].some(shown));
    const options = (inputs) => {
      entry.querySelectorAll('[data-nyx-choice]').forEach(el => el.removeAttribute('data-nyx-choice'));
      inputs.forEach((el, i) => {
        const label = [...(el.labels || [])].find(shown);
        (label || el).setAttribute('data-nyx-choice', String(i));
      });
      row.options = inputs.map(optionLabel);
      row.options_selector = scope + ' [data-nyx-choice]';
      row.checked = inputs.map(el => el.checked);
      row.required = row.required || inputs.some(el => el.required);
    };
    if (input) {
      row.id = input.id || input.name || row.id;
      row.selector = input.id ? '#' + CSS.escape(input.id)
        : input.name ? input.tagName.toLowerCase() + '[name="' + CSS.escape(input.name) + '"]'
        : scope + ' ' + input.tagName.toLowerCase();
      row.tag = input.tagName.toLowerCase();
      row.type = (input.type || '').toLowerCase();
      row.required = row.required || input.required || input.getAttribute('aria-required') === 'true';
      if (row.type === 'file') {
        row.kind = 'file';
        row.value = input.files && input.files.length ? [...input.files].map(f => f.name).join(', ') : '';
      } else if (input instanceof HTMLSelectElement) {
        row.kind = 'select';
        const options = [...input.options].filter(o => o.value !== '');
        row.options = options.map(o => clean(o.text));
        row.options_selector = row.selector + ' option:not([value=""])';
        const chosen = input.selectedIndex >= 0 ? input.options[input.selectedIndex] : null;
        row.value = chosen && chosen.value !== '' ? clean(chosen.text) : '';
      } else if (input.getAttribute('role') === 'combobox') {
        row.kind = 'combobox';
        row.value = input.value;
        const listbox = input.getAttribute('aria-controls') || input.getAttribute('aria-owns');
        row.options_selector = listbox ? '#' + CSS.escape(listbox) + ' [role=option]' : scope + ' [role=option]';
        // Options a closed listbox already holds (a React listbox may render them only when open).
        row.options = [...document.querySelectorAll(row.options_selector)].map(caption).filter(Boolean);
      } else {
        row.kind = 'text';
        row.value = input.value;
      }
    } else if (buttons.length) {
      row.kind = 'buttons';
      row.selector = scope + ' ' + (buttons[0].hasAttribute('aria-pressed') ? 'button[aria-pressed]'
        : '[class*="_yesno"] button');
      row.options_selector = row.selector;
      row.options = buttons.map(caption);
      const on = buttons.find(pressed);
      row.value = on ? caption(on) : '';
    } else if (radios.length) {
      row.kind = 'radios';
      row.id = row.id || radios[0].name;
      row.selector = scope + ' input[type=radio]';
      options(radios);
      row.value = row.options.filter((_, i) => row.checked[i]).join(', ');
    } else if (boxes.length) {
      row.kind = 'checkboxes';
      row.id = row.id || (boxes.length === 1 ? boxes[0].id || boxes[0].name : '');
      row.selector = scope + ' input[type=checkbox]';
      options(boxes);
      row.value = boxes.length === 1 ? (row.checked[0] ? 'Yes' : '')
        : row.options.filter((_, i) => row.checked[i]).join(', ');
    }
    return row;
  });
}
"""
