"""A local copy of a BambooHR job opening and its application form (`<company>.bamboohr.com/careers` shape)
on 127.0.0.1.

Modelled on BambooHR's live React ("Fabric") form as measured in public filler notes (2026):
`/careers/<id>` is the opening; its "Apply for This Job" button shows the form on the same page.
Contact boxes `#firstName`, `#lastName`, `#email`, `#phone` (type text); address boxes named
`streetAddress.value`, `city.value`, `zip.value` with `FabricTextField-<n>` ids; lists (State,
Country preset to United States, gender, ethnicity) are Fabric selects: a hidden native `select`
and a toggle button (`aria-haspopup`, `data-menu-id`) opening a `role=menu` of `role=menuitem`s,
the choice shown in `.fab-SelectToggle__content`; résumé and cover letter are unnamed, unlabelled
file inputs in `FileUpload` blocks under a "Resume*" / "Cover Letter" heading that upload as soon
as a file is chosen (`POST /ajax/files/attachTemporary.php`), the form keeping the file's id;
employer questions `customQuestionAnswers.<type>_<id>` (yes/no radios in a `role=radiogroup`);
Veteran Status radios named by a React id (`:r7:`); the honeypot `#nickname_hpcsaf` ("Please leave
this field blank", hidden). The live page posts its state as JSON; the copy names every box and
posts natively, multipart, to `/careers/<id>/apply`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, render_form, simple_page, validate
from tests.fakes.local_site import Submission

COMPANY = "Orbital Freight"
TITLE = "Senior Backend Engineer"
OPENING = "/careers/74"
SPONSORSHIP = "customQuestionAnswers.yes_no_175"
NEAR_OFFICE = "customQuestionAnswers.short_1018"
VETERAN = ":r7:"
FABRIC_JS = SITES / "bamboohr" / "fabric.js"

BAMBOOHR = VendorForm(
    vendor="bamboohr",
    company=COMPANY,
    title=TITLE,
    posting_path=OPENING,
    form_path=OPENING,
    post_path=f"{OPENING}/apply",
    thanks_path=f"{OPENING}/thank-you",
    template=SITES / "bamboohr" / "careers.html",
    posting_html="",  # the opening and its form are one page
    thanks_html=simple_page(
        COMPANY,
        f"""
<div id="root"><h2>Thanks for applying!</h2><p>Your application for {TITLE} at {COMPANY} was received.</p></div>""",
    ),
    required_fields={
        "firstName": "First Name is required.",
        "lastName": "Last Name is required.",
        "email": "Email is required.",
        "phone": "Phone is required.",
        "city.value": "City is required.",
        "state.value": "State is required.",
        "countryId.value": "Country is required.",
        "resumeFileId": "Resume is required.",
        SPONSORSHIP: "This question is required.",
    },
    email_fields=("email",),
    honeypots=("nickname_hpcsaf",),
    error_class="fab-FormField__error",
    form_error="Some fields need your attention.",
)


@dataclass
class BambooHRJobSite(VendorJobSite):
    form = BAMBOOHR
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file id -> (name, content)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def routes(self, app: web.Application) -> None:
        app.router.add_get(OPENING, self._form_page)
        app.router.add_get("/careers/fabric.js", self._script)
        app.router.add_post("/ajax/files/attachTemporary.php", self._attach)
        app.router.add_post(BAMBOOHR.post_path, self._apply)
        app.router.add_get(BAMBOOHR.thanks_path, self.page(BAMBOOHR.thanks_html))

    async def _script(self, request: web.Request) -> web.Response:
        return web.Response(text=Path(FABRIC_JS).read_text(encoding="utf-8"), content_type="application/javascript")

    async def _attach(self, request: web.Request) -> web.Response:
        _, files = await self.read_multipart(request)
        if "file" not in files:
            return web.json_response({"error": "no file"}, status=400)
        file_id = f"tmp-{next(self._ids)}"
        self.uploads[file_id] = files["file"]
        return web.json_response({"fileId": file_id})

    async def _apply(self, request: web.Request) -> web.Response:
        fields, _ = await self.read_multipart(request, repeated=True)
        errors = validate(BAMBOOHR, fields, {})
        if fields.get("resumeFileId") and fields["resumeFileId"] not in self.uploads:
            errors["resumeFileId"] = "Resume is required."
        if str(fields.get("nickname_hpcsaf", "")).strip():
            self.spam += 1
            errors["__form__"] = "spam"
        # What the files' ids stand for, so that a test can compare the uploaded bytes.
        files = {
            name: self.uploads[str(fields[name])]
            for name in ("resumeFileId", "coverLetterFileId")
            if str(fields.get(name, "")) in self.uploads
        }
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(render_form(BAMBOOHR, errors), status=422)
        raise web.HTTPSeeOther(BAMBOOHR.thanks_path)


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
# What the applicant of tests/fixtures/real_pages/profile.yaml must post (lists post their option ids).
EXPECTED_POST = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada.lovelace@example.org",
    "phone": "+1 512 555 0142",
    "city.value": "Austin",
    "state.value": "44",  # Texas
    "countryId.value": "1",  # United States, preset
    "linkedinUrl": "https://www.linkedin.com/in/ada-lovelace",
    SPONSORSHIP: "no",  # needs_sponsorship: false
    "genderId.value": "3",  # Decline to answer
    "ethnicityId.value": "8",  # Decline to answer
    VETERAN: "Decline to Answer",
}
# The honeypot; what the profile does not hold (street, ZIP, pay, start date, referrer, cover letter).
MUST_STAY_EMPTY = (
    "nickname_hpcsaf",
    "streetAddress.value",
    "zip.value",
    "desiredPay",
    "dateAvailable",
    "referredBy",
    "coverLetterFileId",
)
RESUME_FIELD = "resumeFileId"
