"""A local copy of a Recruitee offer and its application form (`<company>.recruitee.com` shape) on 127.0.0.1.

Modelled on Recruitee's live form as transcribed in public test fixtures (2025-2026):
`/o/<slug>` is the offer with an "Apply for this job" link, `/o/<slug>/c/new` the application,
`form#offer-application-form` (styled-components class names) with sections "My information"
(`candidate.name`, `candidate.email`, `candidate.phone`, which the page pre-fills with a dial
code, "+49" here), "CV or resume" (`candidate.cv`), "Cover letter" (`candidate.coverLetterFile`),
"Questions" (`candidate.openQuestionAnswers.<id>.content`, yes/no as `...<id>.flag` radios, each
with its hidden `openQuestionId`) and "Legal Agreements" (`candidate.agreements.<n>.consent`
tick boxes with their hidden `agreementId`), and a "Send" button
(`data-testid=submit-application-form-button`). The live page posts from its script to
`/api/offers/<slug>/candidates`; the copy posts the same boxes natively, multipart, there.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, simple_page

COMPANY = "Orbital Freight"
TITLE = "Senior Backend Engineer"
SLUG = "senior-backend-engineer"
BASED = "candidate.openQuestionAnswers.2593521.content"
SPONSORSHIP = "candidate.openQuestionAnswers.2593522.flag"
SALARY = "candidate.openQuestionAnswers.2593523.content"
WHY_US = "candidate.openQuestionAnswers.3352062.content"
PRIVACY = "candidate.agreements.0.consent"
FUTURE_OFFERS = "candidate.agreements.1.consent"
# Posted by the page itself, not answers.
BOOKKEEPING = {
    "candidate.openQuestionAnswers.2593521.openQuestionId": "2593521",
    "candidate.openQuestionAnswers.2593522.openQuestionId": "2593522",
    "candidate.openQuestionAnswers.2593523.openQuestionId": "2593523",
    "candidate.openQuestionAnswers.3352062.openQuestionId": "3352062",
    "candidate.agreements.0.agreementId": "175",
    "candidate.agreements.1.agreementId": "176",
}

RECRUITEE = VendorForm(
    vendor="recruitee",
    company=COMPANY,
    title=TITLE,
    posting_path=f"/o/{SLUG}",
    form_path=f"/o/{SLUG}/c/new",
    post_path=f"/api/offers/{SLUG}/candidates",
    thanks_path=f"/o/{SLUG}/c/new/thank-you",
    template=SITES / "recruitee" / "apply.html",
    posting_html=simple_page(
        f"{TITLE} - {COMPANY}",
        f"""
<div data-component="PublicApp"><main><h1>{TITLE}</h1><p>{COMPANY} · Austin, Texas, United States · Remote</p>
<p>Build the freight platform's order pipeline.</p>
<a data-testid="offer-apply-button" href="/o/{SLUG}/c/new">Apply for this job</a></main></div>""",
    ),
    thanks_html=simple_page(
        COMPANY,
        f"""
<div data-component="PublicApp"><main><h1>Thank you for applying!</h1>
<p>Your application for {TITLE} has been sent to {COMPANY}.</p></main></div>""",
    ),
    required_fields={
        "candidate.name": "This field is required and can not be left empty.",
        "candidate.email": "This field is required and can not be left empty.",
        BASED: "This field is required and can not be left empty.",
        SPONSORSHIP: "This field is required and can not be left empty.",
        PRIVACY: "This field is required and can not be left empty.",
    },
    required_files={"candidate.cv": "This field is required and can not be left empty."},
    email_fields=("candidate.email",),
    form_error="Please fill in all required fields.",
)


@dataclass
class RecruiteeJobSite(VendorJobSite):
    form = RECRUITEE


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
# What the applicant of tests/fixtures/real_pages/profile.yaml must post.
EXPECTED_POST = {
    "candidate.name": "Ada Lovelace",
    "candidate.email": "ada.lovelace@example.org",
    "candidate.phone": "+1 512 555 0142",  # the page's "+49" replaced, not appended to
    BASED: "Austin, Texas, United States",
    SPONSORSHIP: "false",  # needs_sponsorship: false
    PRIVACY: "true",  # required to apply: ticked and shown in the review
    **BOOKKEEPING,
}
MUST_STAY_EMPTY = (SALARY, FUTURE_OFFERS)
RESUME_FIELD = "candidate.cv"
