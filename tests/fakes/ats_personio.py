"""A local copy of a Personio job and its application form (`<company>.jobs.personio.de` shape) on 127.0.0.1,
in German as most Personio career pages are.

Modelled on public filler code for Personio (2025-2026): `/job/<id>` is the posting with a
"Jetzt bewerben" link, `/job/<id>/apply` the form, whose submit is
`button.career-submit-application-btn`; the boxes carry Personio's application API names
(`first_name`, `last_name`, `email`, `phone`, `location`, `salary_expectations`,
`available_from`, custom questions `custom_attribute_<id>`) and a mandatory privacy-policy tick
box. The names of the document inputs (`documents[cv]`, `documents[cover-letter]`), the
LinkedIn box and the talent-pool tick box are ours. The copy posts natively, multipart.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.ats_vendor import SITES, VendorForm, VendorJobSite, simple_page

COMPANY = "Orbital Freight GmbH"
TITLE = "Senior Backend Engineer (m/w/d)"
JOB = "/job/1843051"
WORK_PERMIT_GERMANY = "custom_attribute_2917"
BOOKKEEPING = {"job_position_id": "1843051", "recruiting_channel_id": "career-page"}

PERSONIO = VendorForm(
    vendor="personio",
    company=COMPANY,
    title=TITLE,
    posting_path=JOB,
    form_path=f"{JOB}/apply",
    post_path=f"{JOB}/apply",
    thanks_path=f"{JOB}/apply/success",
    template=SITES / "personio" / "apply.html",
    posting_html=simple_page(
        f"{TITLE} | {COMPANY}",
        f"""
<div class="job-posting"><h1>{TITLE}</h1><p>{COMPANY} · Berlin · Vollzeit</p>
<p>Du baust die Auftragsverarbeitung unserer Frachtplattform.</p>
<a class="btn btn-primary" href="{JOB}/apply">Jetzt bewerben</a></div>""",
    ),
    thanks_html=simple_page(
        COMPANY,
        f"""
<div class="application-success"><h1>Vielen Dank für Ihre Bewerbung!</h1>
<p>Ihre Bewerbung als {TITLE} ist bei {COMPANY} eingegangen.</p></div>""",
    ),
    required_fields={
        "first_name": "Bitte geben Sie Ihren Vornamen an.",
        "last_name": "Bitte geben Sie Ihren Nachnamen an.",
        "email": "Bitte geben Sie Ihre E-Mail-Adresse an.",
        "privacy_policy_acceptance": "Bitte akzeptieren Sie die Datenschutzerklärung.",
    },
    required_files={"documents[cv]": "Bitte laden Sie Ihren Lebenslauf hoch."},
    email_fields=("email",),
    error_class="invalid-feedback",
    form_error="Bitte überprüfen Sie Ihre Angaben.",
)


@dataclass
class PersonioJobSite(VendorJobSite):
    form = PERSONIO


# The applicant of tests/fixtures/real_pages/profile.yaml against this copy (tests and bench/real_pages.py).
# What the applicant of tests/fixtures/real_pages/profile.yaml must post.
EXPECTED_POST = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada.lovelace@example.org",
    "phone": "+1 512 555 0142",
    "location": "Austin, Texas, United States",
    "linkedin_profile": "https://www.linkedin.com/in/ada-lovelace",
    "privacy_policy_acceptance": "1",  # required to apply: ticked and shown in the review
    **BOOKKEEPING,
}
# The profile has no salary or start date; it names no German work permit; nobody asked for the talent pool.
MUST_STAY_EMPTY = ("salary_expectations", "available_from", WORK_PERMIT_GERMANY, "talent_pool_consent")
RESUME_FIELD = "documents[cv]"
