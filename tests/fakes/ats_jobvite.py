"""A local copy of a Jobvite job and its application (`jobs.jobvite.com/<company>` shape) on 127.0.0.1.

Modelled on Jobvite's live pages as captured read-only in public filler tests (2026):
`/<company>/job/<id>` is the posting with an "Apply" link; `/<company>/job/<id>/apply` first shows a
"Data Consent" page (choose the location of residence and language, then "I Accept", the consent
form's submit button, whose handler sends the consent from the single-page app's script and loads
the form; `consent_by_script=False`: the form posts natively instead) unless the browser already
accepted; then the Angular form
`form[name="scopeData.applyForm"]`: step one has "Add Resume*" whose "Select" button opens an
attachment popup appended to `<body>` (its "File" label and hidden file input sit outside the
form), the personal information boxes (`input-<8 characters>` names, `jv-field-…` ids, labels),
and "Add Cover Letter"; "Next →" (the form's submit button, whose submit handler cancels the sending
on step one, as the Angular form's does) shows step two: pre-screening radios in
fieldsets with legends, a select, and voluntary self-identification selects; then "Send
Application". Files upload as soon as they are chosen (the form keeps the attachment's id); the
live page posts its answers from script, the copy posts the form natively, multipart. The phone
box, step two's questions and the EEO wording are ours.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, render_form, simple_page, validate
from tests.fakes.local_site import Submission, render_template

COMPANY = "Orbital Freight"
TITLE = "Senior Backend Engineer"
JOB = "/orbitalfreight/job/oK3m9PqR"
CONSENT_COOKIE = "jv_consent"
SCRIPT = SITES / "jobvite" / "jobvite-apply.js"
AUTHORIZED = "yROGYfw3"
SPONSORSHIP = "yROGYfw4"
REFERRED = "input-yvKSYfwQ"

JOBVITE = VendorForm(
    vendor="jobvite",
    company=COMPANY,
    title=TITLE,
    posting_path=JOB,
    form_path=f"{JOB}/apply",
    post_path=f"{JOB}/apply/send",
    thanks_path=f"{JOB}/apply/thanks",
    template=SITES / "jobvite" / "apply.html",
    posting_html=simple_page(
        f"{TITLE} | {COMPANY} Careers",
        f"""
<body class="jv-desktop jv-page-job"><div class="jv-wrapper"><h2 class="jv-header">{TITLE}</h2>
<p class="jv-job-detail-meta">Engineering · Austin, Texas</p><p>Build the freight platform's order pipeline.</p>
<a class="jv-button jv-button-primary jv-button-apply" href="{JOB}/apply">Apply</a></div></body>""",
    ),
    thanks_html=simple_page(
        COMPANY,
        f"""
<div class="jv-wrapper"><h2>Thank you for applying!</h2><p>Your application for {TITLE} was sent to {COMPANY}.</p></div>""",
    ),
    required_fields={
        "input-yrKSYfwL": "First Name is required",
        "input-ytKSYfwN": "Last Name is required",
        "input-ysKSYfwM": "Email is required",
        "input-yuKSYfwP": "Phone is required",
        AUTHORIZED: "Please answer this question",
        SPONSORSHIP: "Please answer this question",
        "resumeAttachmentId": "Please add your resume",
    },
    email_fields=("input-ysKSYfwM",),
    error_class="jv-error",
    form_error="Please review the highlighted fields.",
)


# The single-page app's consent: the form's submit handler posts the chosen policy and shows the form.
CONSENT_SCRIPT = """<script>
  document.forms.consentForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    await fetch('%(action)s', {method: 'POST', body: new URLSearchParams({policyId: select.value})});
    location.assign('%(action)s');
  });
</script>"""


@dataclass
class JobviteJobSite(VendorJobSite):
    form = JOBVITE
    consent_given: bool = False  # the browser already accepted the data consent (its cookie), as after the user's own
    # Jobvite's single-page app sends the consent from its script; False: the consent form posts natively
    # instead, so a click on "I Accept" would send it (what a step must never do).
    consent_by_script: bool = True
    consents: list[str] = field(default_factory=list)  # data consents posted: their policy ids
    attachments: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def routes(self, app: web.Application) -> None:
        app.router.add_get(JOB, self.page(JOBVITE.posting_html))
        app.router.add_get(f"{JOB}/apply", self._apply_page)
        app.router.add_post(f"{JOB}/apply", self._consent)
        app.router.add_post(JOBVITE.post_path, self._send)
        app.router.add_post("/api/v2/attachments", self._attach)
        app.router.add_get(JOBVITE.thanks_path, self.page(JOBVITE.thanks_html))
        app.router.add_get("/static/jobvite-apply.js", self._script)

    async def _apply_page(self, request: web.Request) -> web.Response:
        if self.consent_given or request.cookies.get(CONSENT_COOKIE) == "accepted":
            return self.html_response(render_form(JOBVITE))
        by_script = self.consent_by_script
        return self.html_response(
            render_template(
                SITES / "jobvite" / "consent.html",
                {
                    "company": COMPANY,
                    "company_upper": COMPANY.upper(),
                    "posting": JOB,
                    "consent_form_attributes": "" if by_script else f'method="POST" action="{JOB}/apply"',
                    "consent_script": CONSENT_SCRIPT % {"action": f"{JOB}/apply"} if by_script else "",
                },
            )
        )

    async def _consent(self, request: web.Request) -> web.Response:
        policy = str((await request.post()).get("policyId", ""))
        if not policy:
            raise web.HTTPSeeOther(f"{JOB}/apply")
        self.consents.append(policy)
        response = web.HTTPSeeOther(f"{JOB}/apply")
        response.set_cookie(CONSENT_COOKIE, "accepted", path="/")
        raise response

    async def _script(self, request: web.Request) -> web.Response:
        return web.Response(text=Path(SCRIPT).read_text(encoding="utf-8"), content_type="application/javascript")

    async def _attach(self, request: web.Request) -> web.Response:
        _, files = await self.read_multipart(request)
        if "file" not in files:
            return web.json_response({"error": "no file"}, status=400)
        attachment = f"att-{next(self._ids)}"
        self.attachments[attachment] = files["file"]
        return web.json_response({"id": attachment})

    async def _send(self, request: web.Request) -> web.Response:
        fields, _ = await self.read_multipart(request, repeated=True)
        errors = validate(JOBVITE, fields, {})
        if fields.get("resumeAttachmentId") and fields["resumeAttachmentId"] not in self.attachments:
            errors["resumeAttachmentId"] = "Please add your resume"
        files = {
            name: self.attachments[str(fields[name])]
            for name in ("resumeAttachmentId", "coverLetterAttachmentId")
            if str(fields.get(name, "")) in self.attachments
        }
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(render_form(JOBVITE, errors), status=422)
        raise web.HTTPSeeOther(JOBVITE.thanks_path)


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
DECLINE = "I do not wish to self-identify"
EXPECTED_POST = {
    "input-yrKSYfwL": "Ada",
    "input-ytKSYfwN": "Lovelace",
    "input-ysKSYfwM": "ada.lovelace@example.org",
    "input-yuKSYfwP": "+1 512 555 0142",
    AUTHORIZED: "Yes",  # work_authorization: [United States]
    SPONSORSHIP: "No, I will NOT ever require any work sponsorship",  # needs_sponsorship: false
    "eeo.gender": DECLINE,
    "eeo.race": DECLINE,
    "eeo.veteran": DECLINE,
}
# Whether a colleague referred the applicant is not in the profile; there is no cover letter.
MUST_STAY_EMPTY = (REFERRED, "coverLetterAttachmentId")
RESUME_FIELD = "resumeAttachmentId"
