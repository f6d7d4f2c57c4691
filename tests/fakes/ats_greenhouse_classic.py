"""A local classic Greenhouse job board (boards.greenhouse.io page shape) on 127.0.0.1.

`GET /acme/jobs/4098765` is the posting with `form#application_form`, a server-rendered form
posted natively as multipart to the same address: `job_application[...]` fields, custom
answers as `job_application[answers_attributes][N][...]` and EEO selects. The page's script
checks required fields before posting; the server checks again and either re-renders the form
with `#error_flash` and field errors or redirects to `/acme/jobs/4098765/confirmation`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.job_site import CONFIRMATION_PAGE
from tests.fakes.local_site import EMAIL, LocalSite, Submission, render_template

TEMPLATE = Path(__file__).parent / "sites" / "greenhouse_classic" / "posting.html"

BOARD = "acme"
JOB_ID = 4098765
COMPANY = "Acme Rockets"
TITLE = "Flight Software Engineer"
LOCATION = "Berlin, Germany"

# answers_attributes index -> Greenhouse question id
QUESTION_IDS = {0: "4401", 1: "4402", 2: "4403", 3: "4404", 4: "4405", 5: "4406"}
WORK_PERMIT = "job_application[answers_attributes][2][boolean_value]"

REQUIRED_FIELDS = {
    "job_application[first_name]": "First Name can't be blank",
    "job_application[last_name]": "Last Name can't be blank",
    "job_application[email]": "Email can't be blank",
    "job_application[location]": "Location can't be blank",
    WORK_PERMIT: "Are you legally authorized to work in Germany? can't be blank",
}
RESUME = "job_application[resume]"
ERROR_FLASH = "There were errors with your submission. Please correct the fields below and resubmit."


@dataclass
class ClassicGreenhouseJobSite(LocalSite):
    posting_path = f"/{BOARD}/jobs/{JOB_ID}"

    @property
    def confirmation_url(self) -> str:
        return self.url_for(f"/{BOARD}/jobs/{JOB_ID}/confirmation")

    def routes(self, app: web.Application) -> None:
        posting = self.posting_path
        app.router.add_get(posting, self._posting)
        app.router.add_post(posting, self._apply)
        app.router.add_get(f"{posting}/confirmation", self.page(CONFIRMATION_PAGE))

    async def _posting(self, request: web.Request) -> web.Response:
        return self.html_response(render_posting())

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request)
        errors = validate(fields, files)
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(render_posting(errors))
        raise web.HTTPSeeOther(f"/{BOARD}/jobs/{JOB_ID}/confirmation")


def validate(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field name."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not fields.get(name, "").strip()}
    email = "job_application[email]"
    if email not in errors and not EMAIL.match(fields[email].strip()):
        errors[email] = "Email is not a valid email address"
    if RESUME not in files or not files[RESUME][1]:
        errors[RESUME] = "Resume/CV can't be blank"
    return errors


def render_posting(errors: dict[str, str] | None = None) -> str:
    """The posting page; after a rejected POST, with the flash and each field's error."""
    errors = errors or {}
    values = {
        "title": html.escape(TITLE),
        "company": html.escape(COMPANY),
        "location": html.escape(LOCATION),
        "action": f"/{BOARD}/jobs/{JOB_ID}",
        "flash": html.escape(ERROR_FLASH) if errors else "",
        "flash_hidden": "" if errors else "hidden",
    }
    filled = render_template(TEMPLATE, values)

    def field_error(match: re.Match[str]) -> str:
        message = errors.get(match.group(1))
        return f'<span class="field-error-msg">{html.escape(message)}</span>' if message else ""

    return re.sub(r"\{\{error:([^}]+)\}\}", field_error, filled)
