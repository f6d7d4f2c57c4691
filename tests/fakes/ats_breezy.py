"""A local copy of a Breezy HR position and its application form (`<company>.breezy.hr` shape) on 127.0.0.1.

Modelled on Breezy's live Angular form as measured in public filler notes (2026): `/p/<id>-<slug>`
is the posting with an "Apply to position" link, `/p/<id>-<slug>/apply` the form. The form's
boxes are known by `name` only and labelled by `h3` spans, not `<label>`s; one full-name box
`cName`, `cEmail`, `cPhoneNumber` with an SMS-consent tick box beside it, the résumé `cResume`
in a hidden file input `#main-attachment` behind an "Upload Resume" button, `cAddress`
(`#fullAddress`), `cSummary`, `cCoverLetter`; the employer's questions
`section_<section id>_question_<n>` (a dropdown, radios, text); voluntary EEO radios `gender`,
`race_ethnicity`, `eeoc.veteran_status`; a `ccpaAgreement` tick box; the honeypot `hp_7f2b`;
"Apply Using LinkedIn" / "Use My Indeed Resume" buttons above; "Submit Application" last.
The copy posts natively (multipart) to `/p/<id>-<slug>/apply`; the live page posts the same
boxes from its script. The EEO options' exact wording is ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, simple_page

COMPANY = "Orbital Freight"
TITLE = "Senior Backend Engineer"
POSITION = "/p/6e2f0c1a9b7d-senior-backend-engineer"
SECTION = "section_64b1f0a2c3d4"
AUTHORIZED = f"{SECTION}_question_0"
SPONSORSHIP = f"{SECTION}_question_1"
LINKEDIN = f"{SECTION}_question_2"
SALARY = f"{SECTION}_question_3"

BREEZY = VendorForm(
    vendor="breezy",
    company=COMPANY,
    title=TITLE,
    posting_path=POSITION,
    form_path=f"{POSITION}/apply",
    post_path=f"{POSITION}/apply",
    thanks_path=f"{POSITION}/applied",
    template=SITES / "breezy" / "apply.html",
    posting_html=simple_page(
        f"{TITLE} - {COMPANY}",
        f"""
<div class="position-container"><h1 class="polygot">{TITLE}</h1><h2>{COMPANY}</h2>
<ul class="meta"><li class="location">Austin, TX</li><li class="type">Full-Time</li></ul>
<div class="description"><p>Build the freight platform's order pipeline.</p></div>
<a class="button apply polygot" href="{POSITION}/apply">Apply to position</a></div>""",
    ),
    thanks_html=simple_page(
        COMPANY,
        f"""
<div class="application-container"><h1>Application submitted</h1>
<p>Thank you for applying to {TITLE} at {COMPANY}. We will be in touch.</p></div>""",
    ),
    required_fields={
        "cName": "Full Name is required",
        "cEmail": "Email Address is required",
        "cPhoneNumber": "Phone Number is required",
        AUTHORIZED: "This question is required",
        SPONSORSHIP: "This question is required",
    },
    required_files={"cResume": "Resume is required"},
    email_fields=("cEmail",),
    honeypots=("hp_7f2b",),
)


@dataclass
class BreezyJobSite(VendorJobSite):
    form = BREEZY


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
LINKEDIN_URL = "https://www.linkedin.com/in/ada-lovelace"
DECLINE = "Decline to self-identify"
# What the applicant of tests/fixtures/real_pages/profile.yaml must post.
EXPECTED_POST = {
    "cName": "Ada Lovelace",
    "cEmail": "ada.lovelace@example.org",
    "cPhoneNumber": "+1 512 555 0142",
    AUTHORIZED: "Yes",  # work_authorization: [United States]
    SPONSORSHIP: "No",  # needs_sponsorship: false
    LINKEDIN: LINKEDIN_URL,
    "gender": DECLINE,
    "race_ethnicity": DECLINE,
    "eeoc.veteran_status": DECLINE,
}
# What must be posted empty or not at all: the honeypot, consents nobody gave, what the profile lacks.
MUST_STAY_EMPTY = ("hp_7f2b", "cSmsConsent", "ccpaAgreement", SALARY, "cCoverLetter")
RESUME_FIELD = "cResume"
