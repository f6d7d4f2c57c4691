"""A local copy of a JazzHR posting with its application form (`<company>.applytojob.com` shape) on 127.0.0.1.

Modelled on JazzHR's live form as measured in public filler notes (2026): the form is inline on
the posting, `/apply/<10 characters>/<slug>`: `form#form_submit_new_resume`, multipart, posting
back to the same address; every box named and id'd `resumator-<field>-value` (first and last
name, email, phone; one "Address" label over street, city, state and postal boxes, the last three
known by placeholder only); the résumé file input hidden until "Attach resume" is clicked (or a
paste box after "Paste resume"); the employer's questions `resumator-questionnaire[<n>]` as
selects whose first option is "-- No answer --" (`resumator_no_selection`), answers in upper
case; optional EEO selects with "Decline to answer" preselected; and "Submit Application", a
link whose script submits the form. reCAPTCHA is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, render_form, simple_page, validate
from tests.fakes.local_site import Submission

COMPANY = "Orbital Freight"
TITLE = "Senior Backend Engineer"
POSTING = "/apply/XK3P9QzT7b/Senior-Backend-Engineer"
SUBMIT_JS = SITES / "jazzhr" / "submit-resume.js"
NO_ANSWER = "resumator_no_selection"
AUTHORIZED = "resumator-questionnaire[0]"
SPONSORSHIP = "resumator-questionnaire[1]"
HEARD_ABOUT = "resumator-questionnaire[2]"
BOOKKEEPING = {
    "resumator-subdomain-value": "orbitalfreight",
    "resumator-job-value": "job_20261205XK3P9Q",
    "resumator-source-value": "",
    "resumator-xml-value": "",
}

JAZZHR = VendorForm(
    vendor="jazzhr",
    company=COMPANY,
    title=TITLE,
    posting_path=POSTING,
    form_path=POSTING,
    post_path=POSTING,
    thanks_path=f"{POSTING}/thank-you",
    template=SITES / "jazzhr" / "apply.html",
    posting_html="",  # the form is inline on the posting
    thanks_html=simple_page(
        COMPANY,
        f"""
<div class="apply container"><h1>Thank you!</h1><p>Your application for {TITLE} has been submitted.</p></div>""",
    ),
    required_fields={
        "resumator-firstname-value": "First Name is required.",
        "resumator-lastname-value": "Last Name is required.",
        "resumator-email-value": "Email Address is required.",
        "resumator-phone-value": "Phone is required.",
        "resumator-city-value": "Address is required.",
    },
    email_fields=("resumator-email-value",),
    error_class="help-block error",
    form_error="Please fill out all required fields.",
)


@dataclass
class JazzHRJobSite(VendorJobSite):
    form = JAZZHR

    def routes(self, app: web.Application) -> None:
        app.router.add_get(POSTING, self._form_page)
        app.router.add_post(POSTING, self._apply)
        app.router.add_get(JAZZHR.thanks_path, self.page(JAZZHR.thanks_html))
        app.router.add_get("/js/apply/submit-resume.js", self._script)

    async def _script(self, request: web.Request) -> web.Response:
        return web.Response(text=Path(SUBMIT_JS).read_text(encoding="utf-8"), content_type="application/javascript")

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request, repeated=True)
        extra: dict[str, str] = {}
        # A select's "-- No answer --" is posted, but is no answer to a required question.
        for name in (AUTHORIZED, SPONSORSHIP):
            if fields.get(name, NO_ANSWER) == NO_ANSWER:
                extra[name] = "This question is required."
        if not files.get("resumator-resume-value") and not str(fields.get("resumator-resumetext-value", "")).strip():
            extra["resumator-resume-value"] = "Please attach or paste your resume."
        errors = {**validate(JAZZHR, fields, files), **extra}
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(render_form(JAZZHR, errors), status=422)
        raise web.HTTPSeeOther(JAZZHR.thanks_path)


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
# What the applicant of tests/fixtures/real_pages/profile.yaml must post.
EXPECTED_POST = {
    "resumator-firstname-value": "Ada",
    "resumator-lastname-value": "Lovelace",
    "resumator-email-value": "ada.lovelace@example.org",
    "resumator-phone-value": "+1 512 555 0142",
    "resumator-city-value": "Austin",
    AUTHORIZED: "YES",  # work_authorization: [United States]
    SPONSORSHIP: "NO",  # needs_sponsorship: false
    "resumator-eeo_gender-value": "Decline to answer",
    "resumator-eeo_race-value": "Decline to answer",
    **BOOKKEEPING,
}
# What the profile does not hold: street, postal code, salary; the pasted résumé (a file is attached).
MUST_STAY_EMPTY = (
    "resumator-address-value",
    "resumator-postal-value",
    "resumator-salary-value",
    "resumator-resumetext-value",
)
RESUME_FIELD = "resumator-resume-value"
