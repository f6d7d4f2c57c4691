"""Teamtailor career sites (<company>.teamtailor.com/jobs/<id>-<slug>, or the company's own domain).

A server-rendered `form#new_candidate` posted natively as multipart: `candidate[first_name]`,
`candidate[last_name]`, `candidate[email]`, `candidate[phone]`, `candidate[resume]` (file),
`candidate[linkedin_url]`, custom questions as `candidate[answers_attributes][N][text]` or
`[choice_ids][]` (radios or checkboxes) beside a hidden `[question_id]`, and a consent box
`candidate[consent_given]`. The server validates and re-renders the form with `.form-error`
messages, or goes on to a "Thanks for applying!" page. Career sites on a custom domain are
recognised by the form itself (today's sites call it `form#job-application-form`, inside the job
page) and Teamtailor's markup round it. Standard fields come from the profile, questions from its
saved answers, and consent is given only where the form requires it. No LLM is involved.
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
from automation.adapters.controls import Answer, fill_questions, is_consent
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.adapters.planned import PlannedForm, planned_fields
from automation.adapters.profile_values import (
    link_for_label,
)
from automation.adapters.vendors import VendorSignature
from automation.questions import Question

if TYPE_CHECKING:
    from browser_use import BrowserSession

    from storage.models import Profile

# /jobs/<id>-<slug>, /jobs/<id>-<slug>/applications/new, /applications/new, optionally behind a
# locale (/sv/jobs/...); the bare /jobs listing carries no form.
JOB_PATH = re.compile(r"^(/[a-z]{2}(-[a-z]{2})?)?/(jobs/\d+[^/]*(/.*)?|applications(/.*)?)$", re.IGNORECASE)
# The form with the candidate's e-mail (`form#new_candidate`, or `form#job-application-form` inside the
# job page of today's career sites); the page may hold others (a talent-community sign-up).
FORM_SELECTOR = "form:has([name='candidate[email]'])"
FIELD_NAME = re.compile(r"^candidate\[([a-z_]+)\]$")  # candidate[first_name] -> first_name

STANDARD_FIELDS: dict[str, Callable[[Profile], str | None]] = {
    "first_name": lambda profile: profile.first_name,
    "last_name": lambda profile: profile.last_name,
    "email": lambda profile: str(profile.email),
    "phone": lambda profile: profile.phone,
    "linkedin_url": lambda profile: profile.links.linkedin,
}

TEAMTAILOR_SIGNALS = SubmitSignals(
    ats="teamtailor",
    submit_candidates=", ".join(f"{FORM_SELECTOR} {control}" for control in ("button", "input[type='submit']")),
    # The button says "Send application" (not "Submit ..."), so the default text would find nothing.
    submit_text=r"^\s*(send|submit)(\s+(my|your|the))?\s+application\b|^\s*submit\b",
    errors=".form-error",
    busy=f"{FORM_SELECTOR} [type='submit'][disabled], {FORM_SELECTOR}[aria-busy='true']",
)
TEAMTAILOR = VendorSignature(
    name="teamtailor",
    form="form",
    fields=("[name='candidate[email]']",),
    hosts=re.compile(r"([a-z0-9-]+\.)+teamtailor\.com"),
    paths=JOB_PATH,
    # `candidate[...]` is any Rails app's naming: Teamtailor's own markup must be on the page too.
    marks=(
        "form[action$='/applications']",
        "[data-controller~='careersite--form']",
        "script[src*='teamtailor']",
        "link[href*='teamtailor']",
        "img[src*='teamtailor-cdn.com']",
        "meta[content*='teamtailor' i]",
    ),
    submit=TEAMTAILOR_SIGNALS.submit_candidates,
    embeds=("iframe[src*='.teamtailor.com/jobs/']",),
)


class TeamtailorAdapter(PlannedForm):
    name = "teamtailor"
    signature = TEAMTAILOR

    async def fill(self, browser: BrowserSession, profile: Profile, files: ApplicantFiles) -> FilledForm:
        if not await self.matches_page(browser):
            raise UnsupportedForm("No Teamtailor application form on this page.")
        questions = await self.page_questions(browser)
        links_used = {profile.links.linkedin} if profile.links.linkedin else set()
        answers = [(q, _answer(q, profile, files, links_used)) for q in questions]
        self.plan = planned_fields(await fill_questions(browser, answers), profile)
        return await self.read_back(browser)

    async def page_questions(self, browser: BrowserSession) -> list[Question]:
        return await page_js.read_questions(browser, FORM_SELECTOR)

    async def submit(self, browser: BrowserSession) -> SubmitResult:
        return await submit_form(browser, TEAMTAILOR_SIGNALS)


def _field(question: Question) -> str:
    """The standard field a control holds ("first_name", "resume", ...), or "" for custom answers."""
    named = FIELD_NAME.match(question.name)
    return named.group(1) if named else ""


def _answer(question: Question, profile: Profile, files: ApplicantFiles, links_used: set[str]) -> Answer:
    """What the profile says belongs in this question, or None if it says nothing."""
    field = _field(question)
    if question.kind == "file":
        if field in ("resume", "cv"):
            return files.resume
        if field == "cover_letter":
            return files.cover_letter
        # Today's career sites upload through a drop zone whose input has no `candidate[...]` name
        # (`#candidate_resume_remote_url`, labelled "Upload CV"): its label says what it takes.
        return None if field else standard_answer(question, profile, files, links_used)
    if question.kind in ("text", "textarea") and field in STANDARD_FIELDS:
        return STANDARD_FIELDS[field](profile)
    if is_consent(question):
        return standard_answer(question, profile, files, links_used)
    if question.kind == "text" and (link := link_for_label(question.label, profile.links, links_used)):
        return link
    return standard_answer(question, profile, files, links_used)
