"""A local Greenhouse-style job site (the new job-boards.greenhouse.io page shape) on 127.0.0.1.

`GET /acme/jobs/4012345` is a posting with its application form on the same page; the
page's own script validates required fields and POSTs multipart by field id to
`/acme/jobs/4012345/applications`, which validates again, records the submission and
sends the browser to `/acme/jobs/4012345/confirmation`. Besides the standard fields the form asks
custom questions: two optional ones and two required ones, a legal Yes/No select (visa
sponsorship) and a free-text general one; optional ones of every other kind (a react-select
combobox, a radio group, a checkbox group posted as repeated values); and a required
acknowledgement checkbox. At the end comes the standard U.S. EEO section, all optional: react-select
comboboxes `gender`, `hispanic_ethnicity`, `race` (shown only after "No" to Hispanic/Latino; hidden, its
answer is dropped), `veteran_status` and `disability_status`, posted by option id as the Job Board API
lists them (`hispanic_ethnicity` by its text). The phone number has a react-select country picker beside it: the page
posts the chosen country's code as `country` and `phone` as "+<calling code> <national number>".
"Location (City)" only takes a place picked from the suggestions the site serves from
`/acme/jobs/4012345/locations?term=` (a small fixed list). With `?layout=collapsed` the form
stays hidden until the posting's "Apply" button is clicked. Also served: a company careers
page whose "Apply now" link leads to the posting, one that embeds the form in Greenhouse's
iframe (`#grnhse_app`), and a page with no application form at all.

A test can change the site under a running application: `extra_question` adds a required text
question to the form (rendered and required by the server from then on), and `refuse_next` makes
the server answer the next POST with those errors (422), as a form that rejects a submission does.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import EMAIL, LocalSite, Submission, render_template

TEMPLATE = Path(__file__).parent / "sites" / "greenhouse.html"

BOARD = "acme"
JOB_ID = 4012345
COMPANY = "Acme Rockets"
TITLE = "Senior Backend Engineer"
LOCATION = "Berlin, Germany (Hybrid)"

# Custom questions: a legal one (a Yes/No select, answered "1"/"0") and a general one in free text.
SPONSORSHIP_ID = "question_30215435002"
SPONSORSHIP = "Will you now or in the future require visa sponsorship?"
SPONSORSHIP_VALUES = {"Yes": "1", "No": "0"}
MOTIVATION_ID = "question_30215436002"
MOTIVATION = f"Why do you want to work at {COMPANY}?"

TEAM_ID = "question_30215440002"  # react-select combobox, optional
TEAM = "Which team interests you most?"
TEAM_VALUES = {"Launch Scheduling": "7001", "Flight Software": "7002", "Ground Systems": "7003"}
RELOCATE_ID = "question_30215437002"  # radio group, optional
RELOCATE = "Would you relocate to Berlin?"
RELOCATE_VALUES = {"Yes": "1", "No": "0"}
OFFICES_ID = "question_30215438002[]"  # checkbox group, optional, one value per ticked box
OFFICES = "Which offices would you work from?"
OFFICES_VALUES = {"Berlin": "4101", "London": "4102", "Lisbon": "4103", "Remote": "4104"}
OTHER_ROLES_ID = "question_30215441002"  # lone checkbox, optional
OTHER_ROLES = f"I would like to be considered for other roles at {COMPANY}"
ACKNOWLEDGEMENT_ID = "question_30215439002"  # lone checkbox, required
ACKNOWLEDGEMENT = f"I have read and acknowledge the {COMPANY} Applicant Privacy Notice"

# The U.S. EEO section: option label -> the value posted (Greenhouse's Job Board API `compliance` values).
DECLINE_TO_SELF_IDENTIFY = "Decline To Self Identify"
GENDER = "Gender"
GENDER_VALUES = {"Male": "1", "Female": "2", DECLINE_TO_SELF_IDENTIFY: "3"}
HISPANIC = "Are you Hispanic/Latino?"
HISPANIC_VALUES = {"Yes": "Yes", "No": "No", DECLINE_TO_SELF_IDENTIFY: DECLINE_TO_SELF_IDENTIFY}
RACE = "Please identify your race"  # asked only after "No" to HISPANIC
RACE_VALUES = {
    "American Indian or Alaskan Native": "1",
    "Asian": "2",
    "Black or African American": "3",
    "Hispanic or Latino": "4",
    "White": "5",
    "Native Hawaiian or Other Pacific Islander": "6",
    "Two or More Races": "7",
    DECLINE_TO_SELF_IDENTIFY: "8",
}
VETERAN = "Veteran Status"
VETERAN_VALUES = {
    "I am not a protected veteran": "1",
    "I identify as one or more of the classifications of protected veteran": "2",
    "I don't wish to answer": "3",
}
DISABILITY = "Disability Status"
DISABILITY_VALUES = {
    "Yes, I have a disability, or have had one in the past": "1",
    "No, I do not have a disability and have not had one in the past": "2",
    "I do not want to answer": "3",
}
EEO_OPTIONS = {
    "gender": GENDER_VALUES,
    "hispanic_ethnicity": HISPANIC_VALUES,
    "race": RACE_VALUES,
    "veteran_status": VETERAN_VALUES,
    "disability_status": DISABILITY_VALUES,
}
EEO_DECLINED = {
    "gender": "3",
    "hispanic_ethnicity": DECLINE_TO_SELF_IDENTIFY,
    "veteran_status": "3",
    "disability_status": "3",
}  # what a default profile posts (no race: it is not asked)

# The phone's country picker: (label as the menu shows it, ISO code posted as `country`, calling code).
COUNTRIES = (
    ("United States +1", "US", "1"),
    ("Canada +1", "CA", "1"),
    ("United Kingdom +44", "GB", "44"),
    ("Isle of Man +44", "IM", "44"),
    ("Ireland +353", "IE", "353"),
    ("Germany +49", "DE", "49"),
    ("France +33", "FR", "33"),
    ("Netherlands +31", "NL", "31"),
    ("Spain +34", "ES", "34"),
    ("Portugal +351", "PT", "351"),
    ("India +91", "IN", "91"),
    ("Australia +61", "AU", "61"),
)
# What "Location (City)" suggests: Greenhouse's place search, reduced to a fixed list.
LOCATIONS = (
    "London, England, United Kingdom",
    "London, Ontario, Canada",
    "Londonderry, Northern Ireland, United Kingdom",
    "Manchester, England, United Kingdom",
    "Berlin, Germany",
    "Berlin, New Hampshire, United States",
    "Lisbon, Portugal",
    "Paris, Île-de-France, France",
    "Amsterdam, North Holland, Netherlands",
    "Dublin, County Dublin, Ireland",
    "New York, New York, United States",
    "San Francisco, California, United States",
)
MAX_SUGGESTIONS = 6

REQUIRED_FIELDS = {
    "first_name": "First Name is required",
    "last_name": "Last Name is required",
    "email": "Email is required",
    "candidate-location": "Location (City) is required",
    SPONSORSHIP_ID: "Visa sponsorship is required",
    MOTIVATION_ID: "Why Acme Rockets is required",
    ACKNOWLEDGEMENT_ID: "Acknowledgement of the Applicant Privacy Notice is required",
}
CHOICES = {
    "country": {code for _, code, _ in COUNTRIES},
    TEAM_ID: set(TEAM_VALUES.values()),
    RELOCATE_ID: set(RELOCATE_VALUES.values()),
    ACKNOWLEDGEMENT_ID: {"1"},
    OTHER_ROLES_ID: {"1"},
    **{name: set(values.values()) for name, values in EEO_OPTIONS.items()},
}

CONFIRMATION_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Thank you | {COMPANY}</title></head>
<body><main class="application-confirmation">
<h1>Thank you for applying.</h1>
<p>Your application has been received. If your qualifications match our needs, we will contact you.</p>
</main></body></html>"""

CAREERS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Careers at {COMPANY}</title></head>
<body><h1>Careers at {COMPANY}</h1>
<article><h2>{TITLE}</h2><p>{LOCATION}</p><a class="cta" href="/{BOARD}/jobs/{JOB_ID}">Apply now</a></article>
</body></html>"""

EMBEDDING_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE} | {COMPANY}</title></head>
<body><h1>{TITLE}</h1><p>Join us in {LOCATION}.</p>
<div id="grnhse_app"><iframe id="grnhse_iframe" title="Greenhouse Job Board" width="100%" height="1500"
  frameborder="0" src="/embed/job_app?for={BOARD}&amp;token={JOB_ID}"></iframe></div>
</body></html>"""

PLAIN_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Launch day | {COMPANY} blog</title></head>
<body><h1>Launch day</h1><p>We launched. Subscribe to hear about the next one.</p>
<form id="newsletter"><label for="email">Email</label><input id="email" type="email">
<button type="submit">Subscribe</button></form></body></html>"""


EXTRA_QUESTION_ID = "question_30215499002"


@dataclass
class GreenhouseJobSite(LocalSite):
    posting_path = f"/{BOARD}/jobs/{JOB_ID}"
    extra_question: str | None = None  # a required text question the form grew (label)
    refuse_next: dict[str, str] | None = None  # errors for the next POST, by field id

    @property
    def careers_url(self) -> str:
        return self.url_for("/careers/backend-engineer")

    @property
    def embedding_url(self) -> str:
        return self.url_for("/careers/backend-engineer-embedded")

    @property
    def embed_url(self) -> str:
        return self.url_for(f"/embed/job_app?for={BOARD}&token={JOB_ID}")

    @property
    def plain_url(self) -> str:
        return self.url_for("/blog/launch-day")

    def routes(self, app: web.Application) -> None:
        posting = self.posting_path
        app.router.add_get(posting, self._posting)
        app.router.add_post(f"{posting}/applications", self._apply)
        app.router.add_get(f"{posting}/locations", self._locations)
        app.router.add_get(f"{posting}/confirmation", self.page(CONFIRMATION_PAGE))
        app.router.add_get("/careers/backend-engineer", self.page(CAREERS_PAGE))
        app.router.add_get("/careers/backend-engineer-embedded", self.page(EMBEDDING_PAGE))
        app.router.add_get("/embed/job_app", self._posting)
        app.router.add_get("/blog/launch-day", self.page(PLAIN_PAGE))

    async def _posting(self, request: web.Request) -> web.Response:
        page = render_posting(collapsed=request.query.get("layout") == "collapsed")
        if self.extra_question:
            page = page.replace(
                '<div class="field-wrapper checkbox-acknowledgement">', _extra_field(self.extra_question), 1
            )
        return self.html_response(page)

    async def _locations(self, request: web.Request) -> web.Response:
        return web.json_response(suggest_locations(request.query.get("term", "")))

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request, repeated=True)
        errors = validate(fields, files)
        if self.extra_question and not str(fields.get(EXTRA_QUESTION_ID, "")).strip():
            errors[EXTRA_QUESTION_ID] = f"{self.extra_question} is required"
        if self.refuse_next:
            errors, self.refuse_next = {**errors, **self.refuse_next}, None
        if not await self.accept(Submission(fields, files), errors):
            return web.json_response({"errors": errors}, status=422)
        return web.json_response({"redirect": f"/{BOARD}/jobs/{JOB_ID}/confirmation"})


def _extra_field(label: str) -> str:
    """A required text question, placed before the acknowledgement (that block's opening tag follows it)."""
    return f"""<div class="field-wrapper">
          <label id="{EXTRA_QUESTION_ID}-label" for="{EXTRA_QUESTION_ID}" class="label input__label">{html.escape(label)}<span aria-hidden="true">*</span></label>
          <input id="{EXTRA_QUESTION_ID}" class="input input__single-line" type="text" maxlength="255"
                 aria-required="true" aria-invalid="false" value="">
        </div>
        <div class="field-wrapper checkbox-acknowledgement">"""


def validate(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field id like Greenhouse's error payload."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not fields.get(name, "").strip()}
    if "email" not in errors and not EMAIL.match(fields["email"].strip()):
        errors["email"] = "Email is not a valid email address"
    if "resume" not in files or not files["resume"][1]:
        errors["resume"] = "Resume/CV is required"
    location = fields.get("candidate-location", "")
    if location and location not in LOCATIONS:
        errors["candidate-location"] = "Please select a location from the list"
    for name, allowed in CHOICES.items():
        if fields.get(name, "") not in allowed | {""}:
            errors[name] = "Please select one of the options"
    offices: str | list[str] = fields.get(OFFICES_ID, [])  # repeated: a list once several are ticked
    if not set([offices] if isinstance(offices, str) else offices) <= set(OFFICES_VALUES.values()):
        errors[OFFICES_ID] = "Please select one of the options"
    if fields.get("race") and fields.get("hispanic_ethnicity") != "No":
        errors["race"] = "Race is only asked of applicants who are not Hispanic/Latino"
    dial = {code: dial for _, code, dial in COUNTRIES}.get(fields.get("country", ""))
    if dial and fields.get("phone") and not fields["phone"].startswith(f"+{dial}"):
        errors["phone"] = "Phone does not match the selected country"
    return errors


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def suggest_locations(term: str) -> list[str]:
    """Places whose words start with every word typed, in the list's order (as a place search ranks them)."""
    wanted = _words(term)
    if not wanted:
        return []
    found = [place for place in LOCATIONS if all(any(w.startswith(t) for w in _words(place)) for t in wanted)]
    return found[:MAX_SUGGESTIONS]


def render_posting(collapsed: bool = False) -> str:
    json_ld = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": TITLE,
        "datePosted": "2026-11-02",
        "employmentType": "FULL_TIME",
        "hiringOrganization": {"@type": "Organization", "name": COMPANY},
        "jobLocation": {
            "@type": "Place",
            "address": {"@type": "PostalAddress", "addressLocality": "Berlin", "addressCountry": "DE"},
        },
        "description": f"{COMPANY} is hiring a {TITLE}.",
    }
    values = {
        "title": html.escape(TITLE),
        "company": html.escape(COMPANY),
        "location": html.escape(LOCATION),
        "board": BOARD,
        "job_id": str(JOB_ID),
        "json_ld": json.dumps(json_ld).replace("</", "<\\/"),
        "application_hidden": "hidden" if collapsed else "",
        "select_options": json.dumps(
            {
                "country": [{"label": label, "value": code, "dial": dial} for label, code, dial in COUNTRIES],
                TEAM_ID: [{"label": label, "value": value} for label, value in TEAM_VALUES.items()],
                **{
                    name: [{"label": label, "value": value} for label, value in values.items()]
                    for name, values in EEO_OPTIONS.items()
                },
            }
        ).replace("</", "<\\/"),
    }
    return render_template(TEMPLATE, values)
