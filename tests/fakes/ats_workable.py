"""A local copy of a Workable job and its application form (apply.workable.com shape) on 127.0.0.1.

Every page under `/<account>/j/<shortcode>/` is the same single-page app: it fetches the job
from `/api/v2/accounts/<account>/jobs/<shortcode>` and renders the overview, the application
form (`.../apply/`) or the thank-you (`.../apply/success`). The phone is an intl-tel-input
(version 17, separate dial code): a flag dropdown `.iti__selected-flag` whose list holds
`.iti__country[data-country-code][data-dial-code]` items (United States and United Kingdom first),
beside an `input[type=tel]` for the number without its calling code; the form posts the whole
number as intl-tel-input's `getNumber()` gives it (E.164, "+442079460958"). The form's own script validates,
posts multipart to `/api/v1/jobs/<shortcode>/apply` by fetch and, once accepted, shows
"Thank you for applying!" and moves the address to `.../apply/success` with history.pushState.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import EMAIL, LocalSite, Submission

APP_PAGE = Path(__file__).parent / "sites" / "workable" / "app.html"

ACCOUNT = "orbital-freight"
SHORTCODE = "7C1A2B9E4D"
COMPANY = "Orbital Freight"
TITLE = "Site Reliability Engineer"
LOCATION = "Lisbon, Portugal"

QUESTIONS = {
    "linkedin": "LinkedIn profile",
    "salary": "What are your salary expectations?",
    "why": f"Why do you want to join {COMPANY}?",
    "authorized": "Are you authorized to work in the European Union?",
    "source": "How did you hear about this job?",
    "languages": "Which languages do you speak fluently?",
}
REQUIRED_FIELDS = {
    "firstname": "First name is required",
    "lastname": "Last name is required",
    "email": "Email is required",
    "CA_18444": "This question is required",
}


@dataclass
class WorkableJobSite(LocalSite):
    posting_path = f"/{ACCOUNT}/j/{SHORTCODE}/"

    @property
    def job_url(self) -> str:
        return self.posting_url

    @property
    def apply_url(self) -> str:
        return self.url_for(f"/{ACCOUNT}/j/{SHORTCODE}/apply/")

    @property
    def success_url(self) -> str:
        return self.url_for(f"/{ACCOUNT}/j/{SHORTCODE}/apply/success")

    def routes(self, app: web.Application) -> None:
        app.router.add_get(f"/{ACCOUNT}/j/{SHORTCODE}/{{route:.*}}", self._app)
        app.router.add_get(f"/api/v2/accounts/{ACCOUNT}/jobs/{SHORTCODE}", self._job)
        app.router.add_post(f"/api/v1/jobs/{SHORTCODE}/apply", self._apply)

    async def _app(self, request: web.Request) -> web.Response:
        return self.html_response(APP_PAGE.read_text(encoding="utf-8"))

    async def _job(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "shortcode": SHORTCODE,
                "title": TITLE,
                "company": COMPANY,
                "location": LOCATION,
                "description": f"{COMPANY} moves containers by rocket. Keep our launch schedulers up.",
                "questions": QUESTIONS,
            }
        )

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request, repeated=True)
        errors = validate(fields, files)
        if not await self.accept(Submission(fields, files), errors):
            return web.json_response({"errors": errors}, status=422)
        return web.json_response({"status": "applied"}, status=201)


def validate(fields: dict[str, str | list[str]], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field name like the page's own."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not str(fields.get(name, "")).strip()}
    if "email" not in errors and not EMAIL.match(str(fields["email"]).strip()):
        errors["email"] = "Enter a valid email address"
    if fields.get("gdpr") != "true":
        errors["gdpr"] = "Please accept the privacy notice to continue"
    if "resume" not in files or not files["resume"][1]:
        errors["resume"] = "Resume is required"
    return errors
