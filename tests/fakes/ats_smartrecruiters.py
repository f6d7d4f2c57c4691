"""A local SmartRecruiters-style job site (jobs.smartrecruiters.com page shape) on 127.0.0.1.

`GET /AcmeRockets/744000012345678-senior-backend-engineer` is the posting; its "I'm
interested" link leads to the one-click application at
`/oneclick-ui/company/AcmeRockets/publication/<uuid>`, a script-rendered form whose city
field is an autocomplete fed by `/oneclick-ui/api/locations?q=`. The page validates required
fields (and that both e-mail addresses agree), POSTs multipart by field name to
`/oneclick-ui/api/company/AcmeRockets/publication/<uuid>/applications`, which validates
again and records the submission, and then says "Your application has been submitted".
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import EMAIL, LocalSite, Submission, render_template

TEMPLATE = Path(__file__).parent / "sites" / "smartrecruiters" / "application.html"

COMPANY_ID = "AcmeRockets"
COMPANY = "Acme Rockets"
TITLE = "Senior Backend Engineer"
POSTING_ID = "744000012345678"
PUBLICATION = "3f2c9a7e-1d4b-4c8e-9a6f-5b0e2d1c7a43"

WORK_PERMIT = "question-1001"
PYTHON_YEARS = "question-1002"
NOTICE_PERIOD = "question-1003"
SALARY = "question-1004"

REQUIRED_FIELDS = {
    "firstName": "First name is required",
    "lastName": "Last name is required",
    "email": "Email is required",
    "confirmEmail": "Please confirm your email",
    "location": "Please choose your city from the list",
    WORK_PERMIT: "Please answer this question",
    NOTICE_PERIOD: "Please answer this question",
    "privacyPolicy": "You need to accept the privacy policy to apply",
}
LOCATIONS = (
    "London, England, United Kingdom",
    "London, Ontario, Canada",
    "Londonderry, Northern Ireland, United Kingdom",
    "East London, Eastern Cape, South Africa",
    "Berlin, Germany",
    "Munich, Bavaria, Germany",
    "Lisbon, Portugal",
)

POSTING_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE} | {COMPANY}</title></head>
<body><header><img alt="{COMPANY}" src="data:,"></header>
<main><h1 class="job-title">{TITLE}</h1><p class="job-detail-location">Berlin, Germany</p>
<section class="job-sections"><p>{COMPANY} builds rockets for the rest of us.</p></section>
<a id="st-apply" class="button js-oneclick"
   href="/oneclick-ui/company/{COMPANY_ID}/publication/{PUBLICATION}?dcr_ci={COMPANY_ID}">I'm interested</a>
</main></body></html>"""


@dataclass
class SmartRecruitersJobSite(LocalSite):
    posting_path = f"/{COMPANY_ID}/{POSTING_ID}-senior-backend-engineer"

    @property
    def application_url(self) -> str:
        return self.url_for(f"/oneclick-ui/company/{COMPANY_ID}/publication/{PUBLICATION}?dcr_ci={COMPANY_ID}")

    def routes(self, app: web.Application) -> None:
        app.router.add_get(self.posting_path, self.page(POSTING_PAGE))
        app.router.add_get(f"/oneclick-ui/company/{COMPANY_ID}/publication/{PUBLICATION}", self._application)
        app.router.add_get("/oneclick-ui/api/locations", self._locations)
        app.router.add_post(
            f"/oneclick-ui/api/company/{COMPANY_ID}/publication/{PUBLICATION}/applications", self._apply
        )

    async def _application(self, request: web.Request) -> web.Response:
        return self.html_response(render_application())

    async def _locations(self, request: web.Request) -> web.Response:
        typed = request.query.get("q", "").strip().casefold()
        found = [place for place in LOCATIONS if typed and typed in place.casefold()]
        return web.json_response({"content": [{"label": place} for place in found]})

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request)
        errors = validate(fields, files)
        if not await self.accept(Submission(fields, files), errors):
            return web.json_response({"errors": errors}, status=422)
        return web.json_response({"status": "SUBMITTED"}, status=201)


def validate(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field name."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not fields.get(name, "").strip()}
    email = fields.get("email", "").strip()
    if "email" not in errors and not EMAIL.match(email):
        errors["email"] = "Enter a valid email address"
    if "confirmEmail" not in errors and fields["confirmEmail"].strip() != email:
        errors["confirmEmail"] = "Email addresses do not match"
    if "location" not in errors and fields["location"] not in LOCATIONS:
        errors["location"] = "Please choose your city from the list"
    if "resume" not in files or not files["resume"][1]:
        errors["resume"] = "Please upload your resume"
    return errors


def render_application() -> str:
    values = {
        "title": html.escape(TITLE),
        "company": html.escape(COMPANY),
        "submit_url": f"/oneclick-ui/api/company/{COMPANY_ID}/publication/{PUBLICATION}/applications",
    }
    return render_template(TEMPLATE, values)
