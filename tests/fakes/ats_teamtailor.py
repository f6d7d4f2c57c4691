"""A local Teamtailor career site (<company>.teamtailor.com page shape) on 127.0.0.1.

`GET /jobs/2468013-flight-software-engineer` is the posting, whose "Apply for this job" link
leads to `.../applications/new`: `form#new_candidate`, a server-rendered form posted natively as
multipart to `.../applications`. Fields are named `candidate[...]`; custom questions are
`candidate[answers_attributes][N][text]` or `[choice_ids][]` (a radio pair and a checkbox group)
beside a hidden `[question_id]`; a required consent box `candidate[consent_given]` (after a
Rails hidden "0") and an optional one for future jobs. The page does no checking of its own;
the server either re-renders the form with a `.form-error` under each bad field (keeping what
was typed) or redirects to `/applications/<id>/thanks`, which says "Thanks for applying!".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import (
    EMAIL,
    Fields,
    Files,
    LocalSite,
    Submission,
    html_response,
    read_multipart,
    render_template,
)

SITE = Path(__file__).parent / "sites" / "teamtailor"

COMPANY = "Acme Rockets"
TITLE = "Flight Software Engineer"
LOCATION = "Stockholm, Sweden"
JOB_PATH = "/jobs/2468013-flight-software-engineer"
APPLY_PATH = f"{JOB_PATH}/applications/new"
POST_PATH = f"{JOB_PATH}/applications"
APPLICATION_ID = 9001
TOKEN = "k3Jz0pQ-authenticity-token"

HEARD_ABOUT = "candidate[answers_attributes][0][text]"
WORK_PERMIT = "candidate[answers_attributes][1][choice_ids][]"
LANGUAGES = "candidate[answers_attributes][2][choice_ids][]"
ANYTHING_ELSE = "candidate[answers_attributes][3][text]"
# answers_attributes index -> Teamtailor question id
QUESTION_IDS = {0: "501", 1: "502", 2: "503", 3: "504"}
WORK_PERMIT_CHOICES = {"7001": "Yes", "7002": "No"}
LANGUAGE_CHOICES = {"7101": "English", "7102": "Swedish", "7103": "German"}

REQUIRED_FIELDS = {
    "candidate[first_name]": "First name can't be blank",
    "candidate[last_name]": "Last name can't be blank",
    "candidate[email]": "Email can't be blank",
    WORK_PERMIT: "Do you have the right to work in Sweden? must be answered",
}
RESUME = "candidate[resume]"
CONSENT = "candidate[consent_given]"
ERROR_SUMMARY = "Your application could not be sent. Please check the fields below."


@dataclass
class TeamtailorJobSite(LocalSite):
    @property
    def posting_url(self) -> str:
        return self.url_for(JOB_PATH)

    @property
    def application_url(self) -> str:
        return self.url_for(APPLY_PATH)

    @property
    def post_url(self) -> str:
        return self.url_for(POST_PATH)

    @property
    def thanks_url(self) -> str:
        return self.url_for(f"/applications/{APPLICATION_ID}/thanks")

    def routes(self, app: web.Application) -> None:
        app.router.add_get(JOB_PATH, self._posting)
        app.router.add_get(APPLY_PATH, self._application)
        app.router.add_post(POST_PATH, self._apply)
        app.router.add_get(f"/applications/{APPLICATION_ID}/thanks", self._thanks)

    async def _posting(self, request: web.Request) -> web.Response:
        return html_response(render_template(SITE / "posting.html", {**_page_values(), "apply_path": APPLY_PATH}))

    async def _application(self, request: web.Request) -> web.Response:
        return html_response(render_application())

    async def _thanks(self, request: web.Request) -> web.Response:
        return html_response(render_template(SITE / "thanks.html", _page_values()))

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await read_multipart(request, repeated=True)
        errors = validate(fields, files)
        if errors:
            self.rejected_posts += 1
            return html_response(render_application(fields, errors), status=422)
        await self.record(Submission(fields, files))
        raise web.HTTPSeeOther(f"/applications/{APPLICATION_ID}/thanks")


def validate(fields: Fields, files: Files) -> dict[str, str]:
    """Server-side checks, keyed by field name."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not _text(fields.get(name)).strip()}
    email = "candidate[email]"
    if email not in errors and not EMAIL.match(_text(fields[email]).strip()):
        errors[email] = "Email is invalid"
    if RESUME not in files or not files[RESUME][1]:
        errors[RESUME] = "CV / Resume can't be blank"
    consent = fields.get(CONSENT, [])
    if "1" not in (consent if isinstance(consent, list) else [consent]):
        errors[CONSENT] = "You need to agree to the privacy policy"
    return errors


def _text(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return value[-1] if value else ""
    return value or ""


def _page_values() -> dict[str, str]:
    return {"title": html.escape(TITLE), "company": html.escape(COMPANY), "location": html.escape(LOCATION)}


def render_application(fields: Fields | None = None, errors: dict[str, str] | None = None) -> str:
    """The application form; after a rejected POST, with what was typed and each field's error."""
    fields, errors = fields or {}, errors or {}
    values = {
        **_page_values(),
        "action": POST_PATH,
        "token": TOKEN,
        "summary": f'<div class="form-errors-summary" role="alert">{html.escape(ERROR_SUMMARY)}</div>'
        if errors
        else "",
    }
    page = render_template(SITE / "application.html", values)

    def field_value(match: re.Match[str]) -> str:
        return html.escape(_text(fields.get(match.group(1))))

    def field_error(match: re.Match[str]) -> str:
        message = errors.get(match.group(1))
        return f'<span class="form-error">{html.escape(message)}</span>' if message else ""

    page = re.sub(r"\{\{value:([^}]+)\}\}", field_value, page)
    return re.sub(r"\{\{error:([^}]+)\}\}", field_error, page)
