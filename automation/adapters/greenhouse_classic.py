"""Classic Greenhouse job boards (boards.greenhouse.io/<company>/jobs/<id>).

The older, server-rendered board: one `form#application_form` posted natively as multipart,
fields named `job_application[...]`, custom questions as `job_application[answers_attributes][N][...]`
(a hidden question id plus a text value or a Yes/No `boolean_value` select) with the question in
the label, and EEO selects, which are declined. Boards moved to job-boards.greenhouse.io are
redirected there, so a posting still served at this address carries the classic form. The new
form is GreenhouseAdapter's; this adapter is listed before it because both claim the host.
No LLM is involved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
from automation.adapters.controls import Answer, fill_questions, is_consent
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedForm, planned_fields
from automation.adapters.profile_values import (
    saved_answer,
)
from automation.adapters.standard_fields import intended_value
from automation.adapters.vendors import VendorSignature
from automation.page_js import Control
from automation.questions import Question, decline_option

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

JOB_PATH = re.compile(r"^/[^/]+/jobs/\d+/?$")
FORM_SELECTOR = "form#application_form"
FIELD_NAME = re.compile(r"^job_application\[([a-z_]+)\]$")  # job_application[first_name] -> first_name
EEO_FIELDS = frozenset({"gender", "race", "hispanic_ethnicity", "veteran_status", "disability_status"})
FILE_FIELDS: dict[str, Callable[[ApplicantFiles], Path | None]] = {
    "resume": lambda files: files.resume,
    "cover_letter": lambda files: files.cover_letter,
}
CLASSIC_SIGNALS = SubmitSignals(
    ats="greenhouse",
    # The classic board submits with <input type="button" id="submit_app" value="Submit Application">.
    submit_candidates=", ".join(
        f"{FORM_SELECTOR} {control}" for control in ("input[type='button']", "input[type='submit']", "button")
    ),
    errors="#error_flash, #application .field-error-msg",
    busy=f"#submit_app[disabled], {FORM_SELECTOR}[aria-busy='true']",
)
CLASSIC_GREENHOUSE = VendorSignature(
    name="greenhouse classic",
    form=FORM_SELECTOR,
    fields=("[name='job_application[first_name]']", "[name='job_application[email]']"),
    hosts=re.compile(r"boards(\.eu)?\.greenhouse\.io"),
    paths=JOB_PATH,
    submit=CLASSIC_SIGNALS.submit_candidates,
)


class ClassicGreenhouseAdapter(PlannedForm):
    name = "greenhouse classic"
    signature = CLASSIC_GREENHOUSE

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No classic Greenhouse application form on this page.")
        questions = await self.page_questions(browser)
        planned = await fill_questions(browser, [(q, _answer(q, profile, files)) for q in questions])
        self.plan = planned_fields(planned, profile)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        return await page_js.read_questions(browser, FORM_SELECTOR)

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, CLASSIC_SIGNALS)


def _field(question: Question) -> str:
    """The standard field a control holds ("first_name", "gender", ...), or "" for custom answers."""
    named = FIELD_NAME.match(question.name)
    return named.group(1) if named else ""


def _answer(question: Question, profile: Profile, files: ApplicantFiles) -> Answer:
    """What the profile says belongs in this question, or None if it says nothing."""
    field = _field(question)
    if question.kind == "file":
        attach = FILE_FIELDS.get(field or question.id)
        return attach(files) if attach else None
    if field in EEO_FIELDS:
        return saved_answer(question.label, profile) or decline_option(question.options)
    if is_consent(question):
        return standard_answer(question, profile, files)
    if question.kind in ("text", "textarea"):
        # Standard fields by name, location and links by label, exactly as on the new Greenhouse form.
        tag = "textarea" if question.kind == "textarea" else "input"
        key = field or question.id
        control = Control(key, question.selector, tag, "text", "", question.label, question.required, "")
        return intended_value(control, profile, files) or standard_answer(question, profile, files)
    return standard_answer(question, profile, files)
