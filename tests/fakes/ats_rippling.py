"""A local copy of a Rippling Recruiting job and its application form (`ats.rippling.com` shape) on 127.0.0.1.

Modelled on Rippling's live Next.js form as measured in public filler notes (2026):
`/<employer>/jobs/<id>` is the posting with an "Apply now" link, `/<employer>/jobs/<id>/apply`
the form. Its text boxes have React ids (`field-N`) and a `name` that changes on every load, and
their labels are words beside the box, not `<label>`s tied to it; the phone has a country
combobox labelled "Search" beside the number; "Location (city only)"; résumé and cover letter are
`input[data-testid=input-resume]` / `input-cover_letter` drop zones; the employer's yes/no
("knockout") questions are div comboboxes showing "Select" whose options are clicked; radios are
named `customQuestions.<group>.<key>`; self-identification is four comboboxes; an SMS opt-in
radiogroup; and the submit button reads "Apply". The live page posts JSON from its script and
uploads files on choosing; the copy posts natively, multipart, with a hidden token that says what
this load's random names stand for. The EEO options' wording is ours.
"""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, render_form, simple_page, validate
from tests.fakes.local_site import Submission

COMPANY = "Orbital Freight"
TITLE = "Senior Backend Engineer"
JOB = "/orbital-freight/jobs/8d2c6a51-0f3e-4b7a-9a61-2f5d7c4e9b13"
RANDOM_NAMES = (
    "first_name",
    "last_name",
    "email",
    "phone_country",
    "phone_number",
    "location",
    "pronouns",
    "current_company",
    "linkedin",
    "website",
)
NAME_SLOT = re.compile(r"\{\{n:([a-z_]+)\}\}")
AUTHORIZED = "customQuestions.7f3a.authorized"
SPONSORSHIP = "customQuestions.7f3a.sponsorship"
RELOCATE = "customQuestions.7f3a.relocate"
COMBOBOX_JS = SITES / "rippling" / "combobox.js"

RIPPLING = VendorForm(
    vendor="rippling",
    company=COMPANY,
    title=TITLE,
    posting_path=JOB,
    form_path=f"{JOB}/apply",
    post_path=f"{JOB}/apply",
    thanks_path=f"{JOB}/apply/submitted",
    template=SITES / "rippling" / "apply.html",
    posting_html=simple_page(
        f"{TITLE} - {COMPANY}",
        f"""
<div id="__next"><main><h1>{TITLE}</h1><p>{COMPANY} · Austin, TX · Hybrid</p>
<p>Build the freight platform's order pipeline.</p><a href="{JOB}/apply?step=application">Apply now</a></main></div>""",
    ),
    thanks_html=simple_page(
        COMPANY,
        f"""
<div id="__next"><main><h1>Application submitted</h1><p>Thanks for applying to {TITLE} at {COMPANY}.</p></main></div>""",
    ),
    required_fields={
        "first_name": "First name is required",
        "last_name": "Last name is required",
        "email": "Email is required",
        "phone_number": "Phone number is required",
        "location": "Location is required",
        AUTHORIZED: "This question is required",
        SPONSORSHIP: "This question is required",
    },
    required_files={"resume": "Resume is required"},
    email_fields=("email",),
    error_class="field-error",
    form_error="Please fix the errors below.",
)


@dataclass
class RipplingJobSite(VendorJobSite):
    form = RIPPLING
    loads: dict[str, dict[str, str]] = field(default_factory=dict)  # form token -> {random name: field}

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/static/combobox.js", self._script)

    async def _script(self, request: web.Request) -> web.Response:
        return web.Response(text=Path(COMBOBOX_JS).read_text(encoding="utf-8"), content_type="application/javascript")

    def _render(self, errors: dict[str, str] | None = None) -> str:
        token = secrets.token_hex(8)
        names = {key: f"f{secrets.token_hex(6)}" for key in RANDOM_NAMES}  # a new name per load, meaning nothing
        self.loads[token] = {name: key for key, name in names.items()}
        page = render_form(RIPPLING, errors).replace("{{token}}", token)
        return NAME_SLOT.sub(lambda m: html.escape(names[m.group(1)]), page)

    async def _form_page(self, request: web.Request) -> web.Response:
        return self.html_response(self._render())

    async def _apply(self, request: web.Request) -> web.Response:
        posted, files = await self.read_multipart(request, repeated=True)
        names = self.loads.get(str(posted.pop("form_token", "")), {})
        # What this load's random names stand for: the fields as Rippling's API knows them.
        fields = {names.get(name, name): value for name, value in posted.items()}
        errors = validate(RIPPLING, fields, files)
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(self._render(errors), status=422)
        raise web.HTTPSeeOther(RIPPLING.thanks_path)


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
DECLINE = "I don't wish to answer"
# What the applicant of tests/fixtures/real_pages/profile.yaml must post, by the fields' lasting names.
EXPECTED_POST = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada.lovelace@example.org",
    "phone_country": "US",
    "location": "Austin",
    "current_company": "Analytical Engines Inc",
    "linkedin": "https://www.linkedin.com/in/ada-lovelace",
    AUTHORIZED: "Yes",  # work_authorization: [United States]
    SPONSORSHIP: "No",  # needs_sponsorship: false
    "eeoc.gender": DECLINE,
    "eeoc.hispanic": DECLINE,
    "eeoc.race": DECLINE,
    "eeoc.veteran": DECLINE,
}
PHONE_DIGITS = "5125550142"  # typed beside the country picker, with or without its +1
# Pronouns are the applicant's own call; relocation is not in the profile; nobody opted in to texts.
MUST_STAY_EMPTY = ("pronouns", RELOCATE, "smsOptIn")
RESUME_FIELD = "resume"
