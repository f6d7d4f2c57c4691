"""The half every adapter shares: after `fill`, the form's open questions, answering them, reading back.

`fill` lays out a plan, one `PlannedField` per control (where it is, what should show there,
whether it is one of the form's own questions); `PlannedForm` then finds the questions still
empty, puts answers into any field by its selector with the same option matching `fill` uses,
and reads every field back against the plan with a fresh screenshot. An adapter supplies how
its page reads as `Question`s, and may override how one answer goes in or how values
read back where its page needs it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from automation import page_js
from automation.adapters.base import ApplicantFiles, EmptyReason, FieldReading, FilledForm, FillSource, FormAdapter
from automation.adapters.by_meaning import decide
from automation.adapters.controls import (
    Planned,
    fill_order,
    fill_question,
    is_consent,
    shown,
)
from automation.adapters.profile_values import saved_answer
from automation.answers import profile_field
from automation.field_meaning import Meaning
from automation.questions import Question, QuestionKind

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

ATTACHMENT_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.2

KINDS = {
    "text": QuestionKind.TEXT,
    "textarea": QuestionKind.TEXTAREA,
    "select": QuestionKind.SELECT,
    "listbox": QuestionKind.SELECT,
    "radio": QuestionKind.RADIO,
    "checkbox": QuestionKind.CHECKBOX,
}


@dataclass
class PlannedField:
    """One control of the form: where it is, what should show there, and what kind of field it is."""

    selector: str
    label: str
    required: bool
    intended: str | None  # None: nothing was put there
    is_question: bool = False  # one of the form's own questions, which may be answered after `fill`
    is_file: bool = False
    source: FillSource | None = None  # who put `intended` there
    reason: EmptyReason | None = None  # why nothing was put there

    def reading(self, actual: str | None) -> FieldReading:
        reason = None
        if self.intended is None:
            # A required question nobody could answer goes to the user in the chat.
            asked = self.is_question and self.required and self.reason in (None, EmptyReason.NO_ANSWER)
            reason = (
                EmptyReason.ASKED
                if asked
                else self.reason or (EmptyReason.NO_ANSWER if self.required else EmptyReason.OPTIONAL)
            )
        return FieldReading(
            self.label,
            self.selector,
            self.intended,
            actual,
            self.required,
            self.is_question,
            self.is_file,
            self.source if self.intended is not None else None,
            reason,
        )


def asks_question(label: str, profile: Profile) -> bool:
    """A label that is not a standard profile field (name, e-mail, phone, location, links)."""
    return profile_field(label, profile) is None


def planned_fields(planned: Sequence[Planned], profile: Profile) -> list[PlannedField]:
    """The plan of a form filled question by question (see `controls.fill_questions`)."""
    fields = []
    for item in planned:
        source, reason = attribution(item.question, item.intended, profile)
        fields.append(
            PlannedField(
                selector=item.question.selector,
                label=item.question.label,
                required=item.question.required,
                intended=item.intended,
                is_question=item.question.kind in KINDS
                and not is_consent(item.question)
                and asks_question(item.question.label, profile),
                is_file=item.question.kind == "file",
                source=source,
                reason=reason,
            )
        )
    return fields


def attribution(
    question: Question, intended: str | None, profile: Profile
) -> tuple[FillSource | None, EmptyReason | None]:
    """Which step filled a vendor adapter's field (its own handling, the universal filler's meaning, a saved
    answer), or why it is empty."""
    decided = decide(question, profile, ApplicantFiles(resume=None), set())
    if intended is None:
        return None, decided.reason
    if decided.source is FillSource.SAVED or (
        decided.value is None and saved_answer(question.label, profile) is not None
    ):
        return FillSource.SAVED, None
    return (
        FillSource.UNIVERSAL
        if decided.value is not None
        or (question.kind == "file" and decided.meaning in (Meaning.RESUME, Meaning.COVER_LETTER))
        else FillSource.ADAPTER
    ), None


class PlannedForm(FormAdapter):
    """A form adapter whose `fill` records its plan in `self.plan`."""

    def __init__(self) -> None:
        self.plan: list[PlannedField] = []

    @abstractmethod
    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        """The form's controls as the page shows them now, with `selector` as in the plan."""

    async def put_answer(self, browser: BrowserSession, question: Question, value: str) -> str | None:
        """Put one answer into its control; returns what its reading should then show."""
        return await fill_question(browser, question, value)

    async def actual_values(self, browser: BrowserSession) -> dict[str, str]:
        """Selector -> the value the page shows, for the review."""
        return {question.selector: shown(question) for question in await self.page_questions(browser)}

    async def questions(self, browser: BrowserSession) -> list[Question]:
        now = {question.selector: question for question in await self.page_questions(browser)}
        return [
            as_question(field, now[field.selector])
            for field in self.plan
            if field.is_question
            and field.intended is None
            and field.selector in now
            and not shown(now[field.selector]).strip()
        ]

    def note_sources(self, sources: Mapping[str, FillSource | None]) -> None:
        for field in self.plan:
            if field.selector in sources:
                field.source = sources[field.selector]

    async def answer(self, browser: BrowserSession, answers: Mapping[str, str]) -> None:
        now = {question.selector: question for question in await self.page_questions(browser)}
        fields = {field.selector: field for field in self.plan if not field.is_file}
        known = now.keys() & fields.keys()  # on the page now, and not a file
        pairs = [(now[selector], value) for selector, value in answers.items() if selector in known]
        for question, value in sorted(pairs, key=lambda pair: fill_order(pair[0])):
            fields[question.selector].intended = await self.put_answer(browser, question, value)

    async def wait_for_uploads(self, browser: BrowserSession) -> None:
        """Until every attached file shows (the page may upload it first), for ATTACHMENT_TIMEOUT_S at most."""
        uploads = {field.selector for field in self.plan if field.is_file and field.intended}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ATTACHMENT_TIMEOUT_S
        while uploads and loop.time() < deadline:
            shown_now = await self.actual_values(browser)
            if all(shown_now.get(selector) for selector in uploads):
                return
            await asyncio.sleep(POLL_INTERVAL_S)

    async def read_back(self, browser: BrowserSession) -> FilledForm:
        actual = await self.actual_values(browser)
        return FilledForm(
            ats=self.name,
            url=await page_js.current_url(browser),
            fields=[field.reading(actual.get(field.selector)) for field in self.plan],
            screenshot=await browser.take_screenshot(full_page=True),
        )


def as_question(field: PlannedField, on_page: Question, options: Sequence[str] | None = None) -> Question:
    """The page's question as it is asked: found by its selector (`id` too), with the plan's label, an answerable
    kind and its options as text."""
    lone_box = on_page.kind == "checkbox" and len(on_page.choices) == 1  # answered yes or no
    if options is None:
        options = () if lone_box else tuple(choice.label for choice in on_page.choices)
    kind = QuestionKind.SELECT if on_page.kind == QuestionKind.COMBOBOX else KINDS.get(on_page.kind, QuestionKind.TEXT)
    return dataclasses.replace(
        on_page,
        id=field.selector,
        selector=field.selector,
        label=field.label,
        kind=kind,
        options=tuple(options),
        required=field.required,
    )
