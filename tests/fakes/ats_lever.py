"""A local copy of a Lever job posting and its application form (jobs.lever.co shape) on 127.0.0.1.

`GET /<company>/<posting id>` is the posting with an "Apply for this job" link;
`GET /<company>/<posting id>/apply` is the multipart `form#application-form`, which the browser
posts natively back to the same address. The server checks the required fields and either
re-renders the form with `.error-message`s (nothing recorded) or records the submission and
redirects to `/<company>/<posting id>/thanks` ("Application submitted!"). `POST /parseResume`
answers the page's résumé reader; `GET /searchLocations?text=` is Lever's place search, which the
"Current location" field asks as the user types (from the fixed `PLACES`): picking a suggestion
puts its name in `location` and the suggestion itself, as JSON, in the hidden `selectedLocation`.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import EMAIL, LocalSite, Submission, render_template

TEMPLATE = Path(__file__).parent / "sites" / "lever" / "apply.html"

COMPANY_SLUG = "orbital"
COMPANY = "Orbital Freight"
POSTING_ID = "5f0c8a62-3b1e-4d7a-9c55-2e8f41d0b6a3"
ACCOUNT_ID = "0d6c2b0e-8a9f-4c3e-b1f2-7a5d9e4c8b10"
TITLE = "Staff Platform Engineer"
LOCATION = "Lisbon, Portugal (Remote-friendly)"

CARD_SCREENING = "8e7c5b3a-1f2d-4e6a-9b0c-3d4e5f6a7b8c"
CARD_MOTIVATION = "2a4b6c8d-0e1f-4a3b-8c5d-7e9f1a2b3c4d"
Q_AUTHORIZED = "Are you authorized to work in the European Union?"
Q_EXPERIENCE = "How many years of professional Python experience do you have?"
Q_STACK = "Which of these have you run in production?"
Q_SALARY = "What are your salary expectations?"
Q_WHY = f"Why do you want to join {COMPANY}?"

# Fields the page posts for Lever's own bookkeeping, not as anybody's answers.
BOOKKEEPING_FIELDS = frozenset(
    {
        "accountId",
        "linkedInData",
        "origin",
        "referer",
        "timezone",
        "socialReferralKey",
        f"cards[{CARD_SCREENING}][baseTemplate]",
        f"cards[{CARD_MOTIVATION}][baseTemplate]",
    }
)

REQUIRED_FIELDS = {
    "name": "Full name is required",
    "email": "Email is required",
    f"cards[{CARD_SCREENING}][field0]": "Please answer this question",
    f"cards[{CARD_SCREENING}][field1]": "Please answer this question",
    "consent[store]": "Please consent to the storage of your data",
}
# What Lever's place search knows here: each place's name and id.
PLACES = (
    {"name": "London, England, United Kingdom", "id": "ChIJdd4hrwug2EcRmSrV3Vo6llI"},
    {"name": "London, Ontario, Canada", "id": "ChIJC5uNqA7yLogRlWsFmmnXxyg"},
    {"name": "Londonderry, Northern Ireland, United Kingdom", "id": "ChIJSRgZJQzhX0gRZCk1Cnc7V9A"},
    {"name": "Berlin, Germany", "id": "ChIJAVkDPzdOqEcRcDteW0YgIQQ"},
    {"name": "Lisbon, Portugal", "id": "ChIJO_PkYRozGQ0R0DaQ5L3rAAQ"},
    {"name": "San Francisco, California, United States", "id": "ChIJIQBpAG2ahYAR_6128GcTUEo"},
    {"name": "New York, New York, United States", "id": "ChIJOwg_06VPwokRYv534QaPC8g"},
    {"name": "Toronto, Ontario, Canada", "id": "ChIJpTvG15DL1IkRd8S0KlBVNTI"},
)
ERROR_SLOT = re.compile(r"\{\{error:([^}]+)\}\}")

POSTING_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{COMPANY} - {TITLE}</title></head>
<body><div class="content-wrapper posting-page">
<div class="posting-header"><div class="posting-headline"><h2>{TITLE}</h2>
<div class="posting-categories"><div class="location">{LOCATION}</div></div></div>
<div class="postings-btn-wrapper"><a class="postings-btn template-btn-submit" href="/{COMPANY_SLUG}/{POSTING_ID}/apply">Apply for this job</a></div>
</div>
<div class="section page-centered"><p>{COMPANY} moves containers by rocket. Own the platform our schedulers run on.</p></div>
</div></body></html>"""

THANKS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{COMPANY}</title></head>
<body><div class="content-wrapper thanks-page"><div class="section page-centered application-confirmation">
<h3 data-qa="msg-submit-success">Application submitted!</h3>
<p>Thank you for your interest in {COMPANY}. Our team will review your application and be in touch.</p>
</div></div></body></html>"""


@dataclass
class LeverJobSite(LocalSite):
    posting_path = f"/{COMPANY_SLUG}/{POSTING_ID}"
    parsed_resumes: int = 0

    @property
    def apply_url(self) -> str:
        return self.url_for(f"/{COMPANY_SLUG}/{POSTING_ID}/apply")

    @property
    def thanks_url(self) -> str:
        return self.url_for(f"/{COMPANY_SLUG}/{POSTING_ID}/thanks")

    def routes(self, app: web.Application) -> None:
        posting = self.posting_path
        app.router.add_get(posting, self.page(POSTING_PAGE))
        app.router.add_get(f"{posting}/apply", self._form)
        app.router.add_post(f"{posting}/apply", self._apply)
        app.router.add_get(f"{posting}/thanks", self.page(THANKS_PAGE))
        app.router.add_post("/parseResume", self._parse_resume)
        app.router.add_get("/searchLocations", self._search_locations)

    async def _form(self, request: web.Request) -> web.Response:
        return self.html_response(render_form())

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request, repeated=True)
        errors = validate(fields, files)
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(render_form(errors))
        raise web.HTTPSeeOther(f"/{COMPANY_SLUG}/{POSTING_ID}/thanks")

    async def _parse_resume(self, request: web.Request) -> web.Response:
        await request.post()
        self.parsed_resumes += 1
        return web.json_response({"names": [], "emails": [], "phones": [], "positions": []})

    async def _search_locations(self, request: web.Request) -> web.Response:
        return web.json_response(search_places(request.query.get("text", "")))


def search_places(text: str) -> list[dict[str, str]]:
    """The places whose words start with every word typed ("lond, united k" finds London, England, United Kingdom)."""
    typed = re.findall(r"\w+", text.casefold())
    if not typed:
        return []

    def matches(place: dict[str, str]) -> bool:
        words = re.findall(r"\w+", place["name"].casefold())
        return all(any(word.startswith(part) for word in words) for part in typed)

    return [place for place in PLACES if matches(place)]


def selected_location(name: str) -> str:
    """The hidden `selectedLocation` the page posts once the place called `name` is picked."""
    place = next(place for place in PLACES if place["name"] == name)
    return json.dumps(place, separators=(",", ":"))


def validate(fields: dict[str, str | list[str]], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field name."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not str(fields.get(name, "")).strip()}
    if "email" not in errors and not EMAIL.match(str(fields["email"]).strip()):
        errors["email"] = "Please enter a valid email address"
    if "resume" not in files or not files["resume"][1]:
        errors["resume"] = "Resume/CV is required"
    return errors


def render_form(errors: dict[str, str] | None = None) -> str:
    errors = errors or {}
    values = {
        "company": html.escape(COMPANY),
        "company_slug": COMPANY_SLUG,
        "title": html.escape(TITLE),
        "location": html.escape(LOCATION),
        "account_id": ACCOUNT_ID,
        "card_screening": CARD_SCREENING,
        "card_motivation": CARD_MOTIVATION,
        "card_screening_template": html.escape(
            _card_template("Screening questions", [Q_AUTHORIZED, Q_EXPERIENCE, Q_STACK])
        ),
        "card_motivation_template": html.escape(_card_template("About you", [Q_SALARY, Q_WHY])),
        "q_authorized": html.escape(Q_AUTHORIZED),
        "q_experience": html.escape(Q_EXPERIENCE),
        "q_stack": html.escape(Q_STACK),
        "q_salary": html.escape(Q_SALARY),
        "q_why": html.escape(Q_WHY),
        "form_error": (
            '<div class="section page-centered application-error">There was a problem with your application.</div>'
            if errors
            else ""
        ),
    }
    filled = render_template(TEMPLATE, values)

    def error_slot(match: re.Match[str]) -> str:
        message = errors.get(match.group(1))
        return f'<div class="error-message">{html.escape(message)}</div>' if message else ""

    return ERROR_SLOT.sub(error_slot, filled)


def _card_template(text: str, questions: list[str]) -> str:
    return json.dumps({"text": text, "fields": [{"text": question} for question in questions]})
