"""A local Ashby-style job board (jobs.ashbyhq.com page shape) on 127.0.0.1.

`GET /acme-rockets/<job>` is the posting with an "Apply for this Job" link to
`/acme-rockets/<job>/application`, a React-style app with no `<form>`: it renders the
fields from the posting's form definition (yes/no questions as `_yesno` button pairs that keep
their answer in a hidden checkbox, one choice as a listbox or radios, several as checkboxes, the
location as a typeahead fed by `/api/locations?query=` that only takes a picked suggestion) and
the voluntary U.S. EEO survey below them, validates required ones inline, and POSTs
multipart (`applicationForm` JSON plus the résumé file) to `/api/applications/<job>`,
which validates again, records the submission and makes the page say "Thanks for
applying". `/careers` embeds the application in Ashby's `#ashby_embed` frame.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import EMAIL, LocalSite, Submission, render_template

TEMPLATE = Path(__file__).parent / "sites" / "ashby" / "application.html"

BOARD = "acme-rockets"
JOB_ID = "4b9c2a4e-58f1-4d0b-9d1e-6a7f3c2b1e90"
COMPANY = "Acme Rockets"
TITLE = "Staff Platform Engineer"

PHONE = "9e2f1c0a-1f7e-4c1b-8a61-0d6c5f4e3b21"
LINKEDIN = "5a0e7d3b-2c4f-4e8a-b1d9-7f6e5c4b3a20"
WORK_AUTHORISATION = "d41c8e2a-7b3f-4a9e-8c1d-2e3f4a5b6c7d"
HEARD_ABOUT = "0f1e2d3c-4b5a-4968-8776-655443322110"
WHY_US = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
START_DATE = "77c6b5a4-9382-4716-a5b4-c3d2e1f0a9b8"
SPONSORSHIP = "3c9d2e1f-6a5b-4c7d-9e8f-1a2b3c4d5e6f"
PRODUCTION = "8e7d6c5b-4a39-4281-b7c6-d5e4f3a2b1c0"
LOCATION = "_systemfield_location"
GENDER = "_systemfield_eeoc_gender"
RACE = "_systemfield_eeoc_race"
VETERAN = "_systemfield_eeoc_veteran_status"
DISABILITY = "_systemfield_eeoc_disability_status"

# What the location service knows; a search returns those containing the typed text.
LOCATIONS = (
    "London, England, United Kingdom",
    "London, Ontario, Canada",
    "Londonderry, Northern Ireland, United Kingdom",
    "New London, Connecticut, United States",
    "Berlin, Germany",
    "San Francisco, California, United States",
)

# The posting's application form as Ashby's API describes it: path, title, type, required.
FORM_FIELDS: tuple[dict, ...] = (
    {"path": "_systemfield_name", "title": "Name", "type": "String", "required": True},
    {"path": "_systemfield_email", "title": "Email", "type": "Email", "required": True},
    {"path": "_systemfield_resume", "title": "Resume", "type": "File", "required": True},
    {"path": PHONE, "title": "Phone", "type": "Phone", "required": False},
    {"path": LINKEDIN, "title": "LinkedIn", "type": "String", "required": False},
    {
        "path": WORK_AUTHORISATION,
        "title": "Are you authorized to work in the United Kingdom?",
        "type": "Boolean",
        "required": True,
    },
    {
        "path": HEARD_ABOUT,
        "title": "How did you hear about us?",
        "type": "ValueSelect",
        "required": True,
        "options": ["LinkedIn", "A friend or colleague", "Conference or meetup", "Other"],
    },
    {"path": WHY_US, "title": f"Why do you want to work at {COMPANY}?", "type": "LongText", "required": False},
    {"path": START_DATE, "title": "When could you start?", "type": "String", "required": False},
    {"path": LOCATION, "title": "Location", "type": "Location", "required": True},
    {
        "path": SPONSORSHIP,
        "title": "Will you now or in the future require visa sponsorship?",
        "type": "Boolean",
        "required": False,
    },
    {
        "path": PRODUCTION,
        "title": "Which of these have you run in production?",
        "type": "MultiValueSelect",
        "required": False,
        "options": ["Python", "PostgreSQL", "Kubernetes", "Kafka"],
    },
)
# The voluntary EEO survey (Ashby's `surveyForms`), rendered in a section of its own.
SURVEY_FIELDS: tuple[dict, ...] = (
    {
        "path": GENDER,
        "title": "Gender",
        "type": "ValueSelect",
        "display": "radio",
        "required": False,
        "options": ["Male", "Female", "Decline to self-identify"],
    },
    {
        "path": RACE,
        "title": "Race",
        "type": "ValueSelect",
        "display": "radio",
        "required": False,
        "options": [
            "Hispanic or Latino",
            "White (Not Hispanic or Latino)",
            "Black or African American (Not Hispanic or Latino)",
            "Asian (Not Hispanic or Latino)",
            "Two or More Races (Not Hispanic or Latino)",
            "Decline to self-identify",
        ],
    },
    {
        "path": VETERAN,
        "title": "Veteran Status",
        "type": "ValueSelect",
        "display": "radio",
        "required": False,
        "options": ["I am a protected veteran", "I am not a protected veteran", "I don't wish to answer"],
    },
    {
        "path": DISABILITY,
        "title": "Disability Status",
        "type": "ValueSelect",
        "required": False,
        "options": [
            "Yes, I have a disability, or have had one in the past",
            "No, I do not have a disability and have not had one in the past",
            "I do not want to answer",
        ],
    },
)

POSTING_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE} @ {COMPANY}</title></head>
<body><div id="root"><h1>{TITLE}</h1><p>London, United Kingdom &middot; Full time</p>
<nav><a href="/{BOARD}/{JOB_ID}">Overview</a> <a href="/{BOARD}/{JOB_ID}/application">Application</a></nav>
<p>{COMPANY} builds rockets for the rest of us.</p>
<a class="ashby-job-posting-apply-button" href="/{BOARD}/{JOB_ID}/application">Apply for this Job</a>
</div></body></html>"""

EMBEDDING_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Careers | {COMPANY}</title></head>
<body><h1>Careers at {COMPANY}</h1>
<div id="ashby_embed"><iframe title="Ashby job board" width="100%" height="1600" frameborder="0"
  src="/{BOARD}/{JOB_ID}/application?embed=js"></iframe></div>
</body></html>"""


@dataclass(frozen=True)
class AshbySubmission(Submission):
    """One accepted application: `fields` (also `values`) maps field path -> submitted JSON value."""

    @property
    def values(self) -> dict[str, object]:
        return self.fields


@dataclass
class AshbyJobSite(LocalSite):
    posting_path = f"/{BOARD}/{JOB_ID}"

    @property
    def application_url(self) -> str:
        return self.url_for(f"/{BOARD}/{JOB_ID}/application")

    @property
    def embedding_url(self) -> str:
        return self.url_for("/careers")

    async def wait_for_submission(self, timeout: float, count: int = 1) -> AshbySubmission:
        submission = await super().wait_for_submission(timeout, count)
        assert isinstance(submission, AshbySubmission)  # the only kind `_apply` records
        return submission

    def routes(self, app: web.Application) -> None:
        app.router.add_get(self.posting_path, self.page(POSTING_PAGE))
        app.router.add_get(f"/{BOARD}/{JOB_ID}/application", self._application)
        app.router.add_post(f"/api/applications/{JOB_ID}", self._apply)
        app.router.add_get("/careers", self.page(EMBEDDING_PAGE))
        app.router.add_get("/api/locations", self._locations)

    async def _locations(self, request: web.Request) -> web.Response:
        typed = request.query.get("query", "").strip().casefold()
        return web.json_response({"results": [place for place in LOCATIONS if typed and typed in place.casefold()]})

    async def _application(self, request: web.Request) -> web.Response:
        return self.html_response(render_application())

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request)
        values: dict[str, object] = {}
        if "applicationForm" in fields:
            form = json.loads(fields["applicationForm"])
            values = {entry["path"]: entry["value"] for entry in form["fieldSubmissions"]}
        errors = validate(values, files)
        if not await self.accept(AshbySubmission(values, files), errors):
            return web.json_response({"success": False, "errors": errors}, status=422)
        return web.json_response({"success": True})


def validate(values: dict[str, object], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field path."""
    errors = {}
    for entry in FORM_FIELDS:
        path = entry["path"]
        if entry["type"] == "File":
            present = path in files and bool(files[path][1])
        else:
            value = values.get(path)
            present = isinstance(value, bool) or bool(str(value or "").strip())
        if entry["required"] and not present:
            errors[path] = f"Missing entry for required field: {entry['title']}"
    if values.get(LOCATION) and values[LOCATION] not in LOCATIONS:
        errors[LOCATION] = "Choose a location from the list"
    for entry in FORM_FIELDS + SURVEY_FIELDS:
        chosen = values.get(entry["path"])
        picked = chosen if isinstance(chosen, list) else [chosen]
        if "options" in entry and chosen is not None and not set(picked) <= set(entry["options"]):
            errors[entry["path"]] = f"Not an option of {entry['title']}"
    email = str(values.get("_systemfield_email") or "").strip()
    if email and not EMAIL.match(email):
        errors["_systemfield_email"] = "Invalid email address"
    return errors


def render_application() -> str:
    app_data = {
        "jobPostingId": JOB_ID,
        "title": TITLE,
        "organization": COMPANY,
        "fields": FORM_FIELDS,
        "survey": SURVEY_FIELDS,
        "formRenderId": "c441",
    }
    values = {
        "title": html.escape(TITLE),
        "company": html.escape(COMPANY),
        "app_data": json.dumps(app_data).replace("</", "<\\/"),
        "submit_url": f"/api/applications/{JOB_ID}",
        "locations_url": "/api/locations",
    }
    return render_template(TEMPLATE, values)
