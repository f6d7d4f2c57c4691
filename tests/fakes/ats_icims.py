"""A local copy of an iCIMS career portal job and its apply flow (`careers-<company>.icims.com` shape) on 127.0.0.1.

Modelled on public facts about iCIMS portals (iCIMS' own job-seeker FAQ and candidate guide; public
automation projects' notes and selectors, found with the search tool in 2026: guides/icims.md of
snehitvaddi/S-n-P-500-careers-apply-skill, Selenium scripts that switch into `icims_content_iframe`
and wait for `#enterEmailForm`, a filler's fixture of the candidate profile form `#cp_form` with
`PersonProfileFields.*` names):

* `/jobs/<id>/<slug>/job` on the portal is the company's page; iCIMS' loader script puts the job in
  the iframe `#icims_content_iframe` ("iCIMS Content iFrame"), the same address with `in_iframe=1`;
  inside it, `#iCIMS_MainWrapper`, `h1.iCIMS_Header`, `iCIMS_JobHeaderData` and the "Apply for this
  job online" button `a#link-apply.iCIMS_ApplyButton` to `/jobs/<id>/<slug>/login`.
* The login step: `form#enterEmailForm` with the e-mail box (`#email`) and "Next"
  (`#enterEmailSubmitButton`, the form's submit button); a new candidate goes on to the profile
  (`/jobs/<id>/<slug>/candidate?from=login&eem=<token>`), a returning one would be asked to log in.
  The copy's step checks the address from the page's script (fetch) and then loads the profile, as
  the FAQ's "the system will confirm this once you enter your email address" suggests; whether the
  live page posts it natively instead is not known to us (a native post would be refused as a step).
* The candidate profile `form#cp_form`, multipart: `PersonProfileFields.FirstName`, `.LastName`,
  `.Email` (pre-filled from the login step), phone, address parts, country and state selects, the
  résumé file input; then job-specific questions (`rcf<n>` radios and a select) and voluntary
  self-identification selects; "Submit". Required fields carry `span.iCIMS_Required`.

Ours, not iCIMS': the phone and address field names beyond `PersonProfileFields.*`, the questions'
wording and `rcf` numbers, the EEO names and options, the optional job-alerts box on the login step,
and the thank-you page. No password is asked (portals that send a login link by e-mail skip it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, render_form, simple_page, validate
from tests.fakes.local_site import EMAIL, Submission, render_template

COMPANY = "Orbital Freight"
TITLE = "Senior Backend Engineer"
JOB = "/jobs/1234/senior-backend-engineer"
AUTHORIZED = "rcf3048"
SPONSORSHIP = "rcf3049"
HEARD_ABOUT = "rcf3050"

ICIMS = VendorForm(
    vendor="icims",
    company=COMPANY,
    title=TITLE,
    posting_path=f"{JOB}/job",
    form_path=f"{JOB}/candidate",
    post_path=f"{JOB}/candidate",
    thanks_path=f"{JOB}/candidate/thanks",
    template=SITES / "icims" / "profile.html",
    posting_html="",  # the portal page: see IcimsJobSite._portal
    thanks_html=simple_page(
        COMPANY,
        f"""
<div id="iCIMS_MainWrapper" class="iCIMS_MainWrapper"><h1 class="iCIMS_Header">Thank you for applying!</h1>
<p>Your application for {TITLE} at {COMPANY} has been received.</p></div>""",
    ),
    required_fields={
        "PersonProfileFields.FirstName": "First Name is required.",
        "PersonProfileFields.LastName": "Last Name is required.",
        "PersonProfileFields.Email": "Email is required.",
        "PhoneNumber.PhoneNumber": "Phone Number is required.",
        "PersonProfileFields.AddressCity": "City is required.",
        "PersonProfileFields.AddressCountry": "Country is required.",
        AUTHORIZED: "This question is required.",
        SPONSORSHIP: "This question is required.",
    },
    required_files={"PersonProfileFields.Resume": "Resume is required."},
    email_fields=("PersonProfileFields.Email",),
    error_class="iCIMS_Error",
    form_error="Please correct the errors below.",
)


@dataclass
class IcimsJobSite(VendorJobSite):
    form = ICIMS
    logins: list[dict[str, str]] = field(default_factory=list)  # what the login step received
    candidates: dict[str, str] = field(default_factory=dict)  # eem token -> e-mail address

    @property
    def job_url(self) -> str:
        """The job as the iframe shows it (`in_iframe=1`)."""
        return self.url_for(f"{JOB}/job?in_iframe=1")

    def routes(self, app: web.Application) -> None:
        app.router.add_get(f"{JOB}/job", self._job)
        app.router.add_get(f"{JOB}/login", self._login)
        app.router.add_post(f"{JOB}/login/check", self._check)
        app.router.add_get(f"{JOB}/candidate", self._profile)
        app.router.add_post(ICIMS.post_path, self._apply)
        app.router.add_get(ICIMS.thanks_path, self.page(ICIMS.thanks_html))

    def _values(self) -> dict[str, str]:
        return {
            "company": COMPANY,
            "title": TITLE,
            "job": f"{JOB}/job",
            "login": f"{JOB}/login",
            "check": f"{JOB}/login/check",
        }

    async def _job(self, request: web.Request) -> web.Response:
        page = "job.html" if request.query.get("in_iframe") == "1" else "portal.html"
        return self.html_response(render_template(SITES / "icims" / page, self._values()))

    async def _login(self, request: web.Request) -> web.Response:
        return self.html_response(render_template(SITES / "icims" / "login.html", self._values()))

    async def _check(self, request: web.Request) -> web.Response:
        posted = {name: str(value) for name, value in (await request.post()).items()}
        self.logins.append(posted)
        email = posted.get("loginOnly.email", "").strip()
        if not EMAIL.match(email):
            return web.json_response({"error": "Please enter a valid email address."})
        token = secrets.token_urlsafe(12)
        self.candidates[token] = email
        return web.json_response({"redirect": f"{JOB}/candidate?from=login&eem={token}&in_iframe=1"})

    def _render(self, eem: str, errors: dict[str, str] | None = None) -> str:
        page = render_form(ICIMS, errors)
        return page.replace("{{eem}}", eem).replace("{{email}}", self.candidates.get(eem, ""))

    async def _profile(self, request: web.Request) -> web.Response:
        eem = request.query.get("eem", "")
        if eem not in self.candidates:
            raise web.HTTPSeeOther(f"{JOB}/login?in_iframe=1")  # the profile is reached through the login step
        return self.html_response(self._render(eem))

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request, repeated=True)
        errors = validate(ICIMS, fields, files)
        if str(fields.get("eem", "")) not in self.candidates:
            errors["__form__"] = "no login"
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(self._render(str(fields.get("eem", "")), errors), status=422)
        raise web.HTTPSeeOther(ICIMS.thanks_path)


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
DECLINE = "I choose not to self-identify"
EXPECTED_POST = {
    "PersonProfileFields.FirstName": "Ada",
    "PersonProfileFields.LastName": "Lovelace",
    "PersonProfileFields.Email": "ada.lovelace@example.org",
    "PhoneNumber.PhoneNumber": "+1 512 555 0142",
    "PersonProfileFields.AddressCity": "Austin",
    "PersonProfileFields.AddressCountry": "US",
    "PersonProfileFields.AddressState": "TX",
    AUTHORIZED: "Yes",  # work_authorization: [United States]
    SPONSORSHIP: "No",  # needs_sponsorship: false
    "PersonProfileFields.EEOGender": DECLINE,
    "PersonProfileFields.EEORace": DECLINE,
    "PersonProfileFields.EEOVeteran": DECLINE,
    "PersonProfileFields.EEODisability": "I do not want to answer",
}
# What the profile does not hold: middle name, street, ZIP, the phone's type, how the applicant heard of the job.
MUST_STAY_EMPTY = (
    "PersonProfileFields.MiddleName",
    "PersonProfileFields.AddressStreet1",
    "PersonProfileFields.AddressZip",
    "PhoneNumber.PhoneType",
    HEARD_ABOUT,
)
RESUME_FIELD = "PersonProfileFields.Resume"
