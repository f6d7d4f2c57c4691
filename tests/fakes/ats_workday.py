"""A local copy of a Workday tenant's job posting and its multi-step application, on 127.0.0.1.

Modelled on Workday's candidate experience (`<tenant>.wd5.myworkdayjobs.com/en-US/<site>/job/...`) as
public autofill projects and their notes describe it (searched with the code corpus, 2026: filler
notes listing the "confirmed data-automation-id values", extensions' Workday adapters and their
tests of the buttons a filler must never press):

- the posting (`jobPostingPage`) has an "Apply" link (`adventureButton`); its `/apply` page offers
  `autofillWithResume`, `applyManually` and `useMyLastApplication`;
- the sign-in panel (`signInContent`: `email`, `password`, `signInSubmitButton`) links to "Create
  Account" (`createAccountLink` → `createAccountPanel`: `email`, `password`, `verifyPassword`, the
  terms box `createAccountCheckbox`, `createAccountSubmitButton`); both buttons lie under a
  `div[role=button][data-automation-id=click_filter]` that takes the click, and the `beecatcher`
  honeypot is hidden there;
- the steps (`progressBar`, the active one `progressBarActiveStep`): My Information
  (`legalNameSection_firstName`/`_lastName`, `addressSection_addressLine1`/`_city`/`_countryRegion`/
  `_postalCode`, `countryDropdown`, `phone-device-type`, `country-phone-code`, `phone-number`,
  `phone-extension`, "How Did You Hear About Us?" as a prompt widget (`multiselectInputContainer`,
  `promptOption`, `selectedItem`), "previously worked for" radios `candidateIsPreviousWorker`), My
  Experience (work experience, education, websites, `linkedinQuestion`, the résumé drop zone
  `file-upload-drop-zone` / `select-files` / `file-upload-input-ref` whose upload Workday parses
  into a work-experience entry), Application Questions, Voluntary Disclosures (`gender`,
  `ethnicityDropdown`, `veteranStatus` with their "I do not wish to answer" options, the terms box
  `agreementCheckbox`), Self Identify (the disability form with "I do not want to answer"), Review;
- lists are buttons (`button[aria-haspopup=listbox]`, "Select One") whose options show in a popup
  (`[data-automation-widget=wd-popup] ul[role=listbox] li[role=option]`) drawn at the end of the page;
- "Save and Continue" is `bottom-navigation-next-button`, and on the Review page the same button says
  "Submit"; no control is inside a `<form>`: every save is a fetch from the page script.

The copy keeps accounts, a session cookie per sign-in and one application per (account, job); it
records each step save (`step_saves`) apart from the final submit (`submissions`). The canned résumé
parse and the option lists are ours; a real tenant configures its own questions.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.local_site import EMAIL, LocalSite, Submission

TENANT = "orbital"
SITE = "External"
COMPANY = "Orbital Freight"
WD_JS = Path(__file__).parent / "sites" / "workday" / "wd.js"
JOBS = {
    "R-1001": ("Senior Backend Engineer", "Austin-TX"),
    "R-1002": ("Staff Platform Engineer", "Austin-TX"),
}
PASSWORD_RULES = (
    "Password must have at least 8 characters, an uppercase and a lowercase letter, a number and a special character."
)
SESSION_COOKIE = "wd-session"

STATES = ("Alabama", "California", "New York", "Texas", "Washington")
COUNTRIES = ("Canada", "Germany", "United Kingdom", "United States of America")
DIAL_CODES = ("Canada (+1)", "Germany (+49)", "United Kingdom (+44)", "United States of America (+1)")
SOURCES = ("Company Website", "Job Board", "LinkedIn", "Referral", "Recruiter")
YES_NO = ("Yes", "No")
GENDERS = ("Female", "Male", "I do not wish to answer")
ETHNICITIES = (
    "American Indian or Alaska Native (United States of America)",
    "Asian (United States of America)",
    "Black or African American (United States of America)",
    "Hispanic or Latino (United States of America)",
    "White (United States of America)",
    "Two or More Races (United States of America)",
    "I do not wish to answer.",
)
VETERAN = (
    "I am not a protected veteran",
    "I identify as one or more of the classifications of protected veteran",
    "I do not wish to self-identify",
)
DISABILITY = (
    "Yes, I have a disability, or have had one in the past",
    "No, I do not have a disability and have not had one in the past",
    "I do not want to answer",
)
TERMS = "Yes, I have read and consent to the terms and conditions"
# What Workday's parser takes from the test résumé (canned: the copy does not read PDFs).
PARSED_EXPERIENCE = {
    "jobTitle": "Senior Backend Engineer",
    "company": "Analytical Engines Inc",
    "location": "Austin, TX",
    "startDate": "01/2021",
    "roleDescription": "Backend services.",
}


@dataclass(frozen=True)
class Field:
    key: str  # the data-automation-id (and the key of the saved value)
    label: str
    kind: str  # text | textarea | listbox | radio | checkbox | checkboxes | prompt
    required: bool = False
    options: tuple[str, ...] = ()
    preset: str = ""


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    page: str  # the step page's data-automation-id
    fields: tuple[Field, ...]


STEPS = (
    Step(
        "myInformation",
        "My Information",
        "applyFlowMyInfoPage",
        (
            Field("source", "How Did You Hear About Us?", "prompt", options=SOURCES),
            Field("candidateIsPreviousWorker", f"Have you previously worked for {COMPANY}?", "radio", True, YES_NO),
            Field("countryDropdown", "Country", "listbox", True, COUNTRIES, preset="United States of America"),
            Field("legalNameSection_firstName", "Given Name(s)", "text", True),
            Field("legalNameSection_middleName", "Middle Name", "text"),
            Field("legalNameSection_lastName", "Family Name", "text", True),
            Field("addressSection_addressLine1", "Address Line 1", "text"),
            Field("addressSection_city", "City", "text", True),
            Field("addressSection_countryRegion", "State", "listbox", True, STATES),
            Field("addressSection_postalCode", "Postal Code", "text"),
            Field("phone-device-type", "Phone Device Type", "listbox", True, ("Landline", "Mobile")),
            Field("country-phone-code", "Country Phone Code", "listbox", True, DIAL_CODES),
            Field("phone-number", "Phone Number", "text", True),
            Field("phone-extension", "Phone Extension", "text"),
        ),
    ),
    Step(
        "myExperience", "My Experience", "applyFlowMyExpPage", (Field("linkedinQuestion", "LinkedIn Profile", "text"),)
    ),
    Step(
        "applicationQuestions",
        "Application Questions",
        "applyFlowPrimaryQuestionsPage",
        (
            Field(
                "workAuthorization", "Are you legally authorized to work in the United States?", "listbox", True, YES_NO
            ),
            Field(
                "sponsorship",
                "Will you now or in the future require sponsorship for employment visa status (e.g. H-1B visa status)?",
                "listbox",
                True,
                YES_NO,
            ),
            Field("salaryExpectations", "What are your salary expectations?", "textarea"),
        ),
    ),
    Step(
        "voluntaryDisclosures",
        "Voluntary Disclosures",
        "applyFlowVoluntaryDisclosuresPage",
        (
            Field("gender", "Please select your gender", "listbox", True, GENDERS),
            Field(
                "ethnicityDropdown",
                "Please select the ethnicity which most accurately describes how you identify yourself",
                "listbox",
                True,
                ETHNICITIES,
            ),
            Field(
                "veteranStatus",
                "Please select the veteran status which most accurately describes your status",
                "listbox",
                True,
                VETERAN,
            ),
            Field("agreementCheckbox", TERMS, "checkbox", True),
        ),
    ),
    Step(
        "selfIdentify",
        "Self Identify",
        "applyFlowSelfIdentifyPage",
        (
            Field("name", "Name", "text", True),
            Field("disabilityStatus", "Disability Status", "checkboxes", True, DISABILITY),
        ),
    ),
)
STEP_KEYS = tuple(step.key for step in STEPS)


@dataclass
class Application:
    job: str
    step: int = 0  # index in STEPS; len(STEPS) is the Review page
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    resume: tuple[str, bytes] | None = None
    experience: dict[str, str] = field(default_factory=dict)  # what the résumé parse filled
    submitted: bool = False


@dataclass(frozen=True)
class StepSave:
    email: str
    job: str
    step: str
    values: dict[str, str]


@dataclass
class WorkdayJobSite(LocalSite):
    """One tenant (`orbital`, site `External`) with two jobs; accounts, sessions and applications in memory."""

    accounts: dict[str, str] = field(default_factory=dict)  # e-mail -> password
    created_accounts: list[str] = field(default_factory=list)
    sign_ins: list[str] = field(default_factory=list)
    sessions: dict[str, str] = field(default_factory=dict)  # cookie -> e-mail
    applications: dict[tuple[str, str], Application] = field(default_factory=dict)
    step_saves: list[StepSave] = field(default_factory=list)
    spam: int = 0

    posting_path = f"/en-US/{SITE}/job/Austin-TX/Senior-Backend-Engineer_R-1001"

    def job_url(self, job: str) -> str:
        title, place = JOBS[job]
        return self.url_for(f"/en-US/{SITE}/job/{place}/{title.replace(' ', '-')}_{job}")

    def routes(self, app: web.Application) -> None:
        base = f"/en-US/{SITE}/job/{{place}}/{{slug}}_{{job}}"
        app.router.add_get(base, self._posting)
        app.router.add_get(base + "/apply", self._start)
        app.router.add_get(base + "/apply/applyManually", self._flow)
        app.router.add_get("/wday/wd.js", self._script)
        auth = f"/wday/authgwy/{TENANT}"
        app.router.add_post(auth + "/signin", self._sign_in)
        app.router.add_post(auth + "/createAccount", self._create_account)
        api = f"/wday/cxs/{TENANT}/{SITE}/apply/{{job}}"
        app.router.add_post(api + "/step/{step}", self._save_step)
        app.router.add_post(api + "/resume", self._resume)
        app.router.add_post(api + "/back", self._back)
        app.router.add_post(api + "/submit", self._submit)

    # --- pages ---

    def _config(self, job: str, step: str | None = None) -> dict[str, Any]:
        return {
            "tenant": TENANT,
            "siteId": SITE,
            "auth": f"/wday/authgwy/{TENANT}",
            "api": f"/wday/cxs/{TENANT}/{SITE}/apply/{job}",
            "step": step,
        }

    async def _posting(self, request: web.Request) -> web.Response:
        job = _job(request)
        title, _ = JOBS[job]
        return self.html_response(
            _page(
                f"{title}",
                f"""
<div data-automation-id="jobPostingPage"><h2 data-automation-id="jobPostingHeader">{html.escape(title)}</h2>
<div data-automation-id="locations">Austin, TX</div><div data-automation-id="requisitionId">{job}</div>
<div data-automation-id="jobPostingDescription"><p>Build {COMPANY}'s order pipeline.</p></div>
<a data-automation-id="adventureButton" role="button" href="{request.path}/apply">Apply</a></div>""",
                self._config(job),
            )
        )

    async def _start(self, request: web.Request) -> web.Response:
        return self.html_response(
            _page(
                "Start Your Application",
                f"""
<div data-automation-id="applyFlowPage"><h2>Start Your Application</h2>
<a data-automation-id="autofillWithResume" role="button" href="{request.path}/autofillWithResume">Autofill with Resume</a>
<a data-automation-id="applyManually" role="button" href="{request.path}/applyManually">Apply Manually</a>
<a data-automation-id="useMyLastApplication" role="button" href="{request.path}/useMyLastApplication">Use My Last Application</a>
</div>""",
                self._config(_job(request)),
            )
        )

    async def _script(self, request: web.Request) -> web.Response:
        return web.Response(text=WD_JS.read_text(encoding="utf-8"), content_type="application/javascript")

    async def _flow(self, request: web.Request) -> web.Response:
        job = _job(request)
        email = self._signed_in(request)
        config = self._config(job)
        if email is None:
            return self.html_response(_page("Sign In", _sign_in_panels(), config))
        application = self.applications.setdefault((email, job), Application(job))
        if application.submitted:
            return self.html_response(_page("Application Submitted", _submitted(JOBS[job][0]), config))
        if application.step >= len(STEPS):
            return self.html_response(_page("Review", _review(application), {**config, "step": "review"}))
        step = STEPS[application.step]
        return self.html_response(_page(step.title, _step_page(step, application), {**config, "step": step.key}))

    # --- sign-in ---

    def _signed_in(self, request: web.Request) -> str | None:
        return self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))

    def _session(self, email: str) -> web.Response:
        # A new sign-in finds its drafts at their first step, the values saved so far kept.
        for (owner, _), application in self.applications.items():
            if owner == email and not application.submitted:
                application.step = 0
        token = secrets.token_hex(16)
        self.sessions[token] = email
        response = web.json_response({"ok": True})
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax")
        return response

    async def _sign_in(self, request: web.Request) -> web.Response:
        body = await request.json()
        if str(body.get("beecatcher", "")).strip():
            self.spam += 1
            return web.json_response({"errors": {"form": "Something went wrong."}}, status=400)
        email = str(body.get("email", "")).strip().lower()
        if self.accounts.get(email) != body.get("password"):
            return web.json_response({"errors": {"form": "Wrong email address or password. Try again."}}, status=401)
        self.sign_ins.append(email)
        return self._session(email)

    async def _create_account(self, request: web.Request) -> web.Response:
        body = await request.json()
        email, password = str(body.get("email", "")).strip().lower(), str(body.get("password", ""))
        errors = {}
        if not EMAIL.match(email):
            errors["email"] = "Enter a valid email address."
        if not _strong(password):
            errors["password"] = PASSWORD_RULES
        if body.get("verifyPassword") != password:
            errors["verifyPassword"] = "The passwords do not match."
        if body.get("accepted") is not True:
            errors["createAccountCheckbox"] = "You must accept the terms to create an account."
        if not errors and email in self.accounts:
            errors["email"] = "An account using this email address already exists."
        if errors:
            return web.json_response({"errors": errors}, status=400)
        self.accounts[email] = password
        self.created_accounts.append(email)
        return self._session(email)

    # --- the application's steps ---

    def _application(self, request: web.Request) -> tuple[str, Application]:
        email = self._signed_in(request)
        job = request.match_info["job"]
        if email is None or (email, job) not in self.applications:
            raise web.HTTPUnauthorized(
                text='{"errors": {"form": "Your session expired."}}', content_type="application/json"
            )
        return email, self.applications[(email, job)]

    async def _save_step(self, request: web.Request) -> web.Response:
        email, application = self._application(request)
        step_key = request.match_info["step"]
        if application.step >= len(STEPS) or STEPS[application.step].key != step_key:
            return web.json_response({"errors": {"form": "This step is not the current one."}}, status=409)
        step = STEPS[application.step]
        values = {str(k): str(v) for k, v in (await request.json()).items()}
        errors = {
            f.key: f"The field {f.label} is required and must have a value."
            for f in step.fields
            if f.required and not values.get(f.key, "").strip()
        }
        errors |= {
            f.key: f"{values[f.key]!r} is not an option of {f.label}."
            for f in step.fields
            if f.kind in ("listbox", "radio") and values.get(f.key) and values[f.key] not in f.options
        }
        if step.key == "myExperience" and application.resume is None:
            errors["resume"] = "The field Resume/CV is required and must have a value."
        if errors:
            return web.json_response({"errors": errors}, status=400)
        application.values[step.key] = values
        application.step += 1
        self.step_saves.append(StepSave(email, application.job, step.key, values))
        return web.json_response({"ok": True})

    async def _resume(self, request: web.Request) -> web.Response:
        _, application = self._application(request)
        _, files = await self.read_multipart(request)
        if "file" not in files or not files["file"][1]:
            return web.json_response({"errors": {"resume": "The file is empty."}}, status=400)
        application.resume = files["file"]
        application.experience = dict(PARSED_EXPERIENCE) if files["file"][1].startswith(b"%PDF") else {}
        return web.json_response({"fileName": files["file"][0], "experience": _experience(application)})

    async def _back(self, request: web.Request) -> web.Response:
        _, application = self._application(request)
        application.step = max(0, application.step - 1)
        return web.json_response({"ok": True})

    async def _submit(self, request: web.Request) -> web.Response:
        email, application = self._application(request)
        if application.step < len(STEPS) or application.submitted:
            return web.json_response({"errors": {"form": "The application is not ready to submit."}}, status=409)
        fields: dict[str, Any] = {key: value for step in STEP_KEYS for key, value in application.values[step].items()}
        fields |= {f"workExperience-1.{key}": value for key, value in application.experience.items()}
        fields["account"] = email
        files = {"resume": application.resume} if application.resume else {}
        application.submitted = True
        await self.record(Submission(fields, files))
        return web.json_response({"ok": True})


def _job(request: web.Request) -> str:
    job = request.match_info["job"]
    if job not in JOBS:
        raise web.HTTPNotFound
    return job


def _strong(password: str) -> bool:
    return (
        len(password) >= 8
        and re.search(r"[a-z]", password) is not None
        and re.search(r"[A-Z]", password) is not None
        and re.search(r"\d", password) is not None
        and re.search(r"[^A-Za-z0-9]", password) is not None
    )


def _page(title: str, body: str, config: dict[str, Any] | None) -> str:
    script = ""
    if config is not None:
        script = f'<script>window.workday = {json.dumps(config)};</script><script src="/wday/wd.js" defer></script>'
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} - Workday</title>'
        f'<link rel="stylesheet" href="/wday/asset/candidate-experience.css">{script}'
        "<style>[hidden]{display:none!important}.wd-nav{margin:1em 0}"
        '[data-automation-widget="wd-popup"]{position:fixed;top:30%;left:30%;background:#fff;border:1px solid #999}'
        ".click-target{position:relative;display:inline-block}"
        '[data-automation-id="click_filter"]{position:absolute;inset:0;cursor:pointer}</style>'
        f'</head><body><div id="root"><main>{body}</main></div></body></html>'
    )


def _sign_in_panels() -> str:
    def button(automation_id: str, text: str) -> str:
        return (
            f'<div class="click-target"><button type="button" data-automation-id="{automation_id}">{text}</button>'
            f'<div role="button" data-automation-id="click_filter" aria-label="{text}" tabindex="0"></div></div>'
        )

    return f"""
<div data-automation-id="applyFlowPage"><h2>Sign In</h2>
<div data-automation-id="signInContent">
  <label for="input-1">Email Address*</label><input type="text" id="input-1" data-automation-id="email" autocomplete="email">
  <label for="input-2">Password*</label><input type="password" id="input-2" data-automation-id="password">
  <input type="text" data-automation-id="beecatcher" tabindex="-1" aria-hidden="true" style="position:absolute;left:-9999px">
  {button("signInSubmitButton", "Sign In")}
  <p>Don't have an account yet? <a href="#" data-automation-id="createAccountLink" role="button">Create Account</a></p>
</div>
<div data-automation-id="createAccountPanel" hidden>
  <label for="input-3">Email Address*</label><input type="text" id="input-3" data-automation-id="email">
  <label for="input-4">Password*</label><input type="password" id="input-4" data-automation-id="password">
  <label for="input-5">Verify New Password*</label><input type="password" id="input-5" data-automation-id="verifyPassword">
  <input type="checkbox" id="input-6" data-automation-id="createAccountCheckbox">
  <label for="input-6">Yes, I have read and consent to the terms and conditions.</label>
  {button("createAccountSubmitButton", "Create Account")}
  <p>Already have an account? <a href="#" data-automation-id="signInLink" role="button">Sign In</a></p>
</div></div>"""


def _progress(current: int) -> str:
    items = []
    for index, title in enumerate([*(step.title for step in STEPS), "Review"]):
        active = ' data-automation-id="progressBarActiveStep" aria-current="step"' if index == current else ""
        items.append(f"<li{active}><span>{html.escape(title)}</span></li>")
    return f'<ol data-automation-id="progressBar">{"".join(items)}</ol>'


def _control(f: Field, value: str, number: int) -> str:
    star = '<abbr title="required">*</abbr>' if f.required else ""
    required = ' aria-required="true"' if f.required else ""
    label = html.escape(f.label)
    attrs = f'data-fkit-id="{f.key}" data-kind="{"text" if f.kind == "textarea" else f.kind}"'
    if f.kind == "text":
        return (
            f'<div data-automation-id="formField-{f.key}" {attrs}><label for="input-{number}">{label}{star}</label>'
            f'<input type="text" id="input-{number}" data-automation-id="{f.key}"{required} '
            f'value="{html.escape(value)}"></div>'
        )
    if f.kind == "textarea":
        return (
            f'<div data-automation-id="formField-{f.key}" {attrs}><label for="input-{number}">{label}{star}</label>'
            f'<textarea id="input-{number}" data-automation-id="{f.key}"{required}>{html.escape(value)}</textarea></div>'
        )
    if f.kind == "listbox":
        options = html.escape(json.dumps(list(f.options)))
        return (
            f'<div data-automation-id="formField-{f.key}" {attrs}>'
            f'<label id="label-{number}" for="input-{number}">{label}{star}</label>'
            f'<button type="button" id="input-{number}" aria-haspopup="listbox" aria-expanded="false" '
            f'aria-labelledby="label-{number} input-{number}" data-automation-id="{f.key}"{required} '
            f'value="{html.escape(value)}" data-options="{options}">{html.escape(value) or "Select One"}</button></div>'
        )
    if f.kind in ("radio", "checkboxes"):
        kind = "radio" if f.kind == "radio" else "checkbox"
        chosen = {part.strip() for part in value.split(", ")} if value else set()
        boxes = "".join(
            f'<div><input type="{kind}" id="{f.key}-{i}" name="{f.key}" value="{html.escape(option)}"'
            f'{" checked" if option in chosen else ""}><label for="{f.key}-{i}">{html.escape(option)}</label></div>'
            for i, option in enumerate(f.options)
        )
        exclusive = ' data-exclusive="true"' if f.kind == "checkboxes" else ""
        return (
            f'<fieldset data-automation-id="formField-{f.key}" {attrs}{exclusive}{required}>'
            f"<legend>{label}{star}</legend>{boxes}</fieldset>"
        )
    if f.kind == "checkbox":
        return (
            f'<div data-automation-id="formField-{f.key}" {attrs}><input type="checkbox" id="input-{number}" '
            f'name="{f.key}" data-automation-id="{f.key}"{required}{" checked" if value else ""}>'
            f'<label for="input-{number}">{label}{star}</label></div>'
        )
    if f.kind == "prompt":
        picked = "".join(
            f'<div data-automation-id="selectedItem">{html.escape(part)}</div>' for part in value.split(", ") if part
        )
        options = html.escape(json.dumps(list(f.options)))
        return (
            f'<div data-automation-id="formField-{f.key}" {attrs}><label for="input-{number}">{label}{star}</label>'
            f'{picked}<div data-automation-id="multiselectInputContainer" data-options="{options}">'
            f'<input type="text" id="input-{number}" data-automation-id="searchBox" placeholder="Search"{required}>'
            f"</div></div>"
        )
    raise ValueError(f.kind)


def _experience(application: Application) -> str:
    parsed = application.experience
    if not parsed:
        return (
            '<div data-automation-id="workExperienceSection"><h3>Work Experience</h3>'
            '<button type="button" data-automation-id="add-button">Add</button></div>'
        )
    rows = [
        ("jobTitle", "Job Title"),
        ("company", "Company"),
        ("location", "Location"),
        ("startDate", "From"),
        ("roleDescription", "Role Description"),
    ]
    fields = "".join(
        f'<div data-automation-id="formField-{key}"><label for="we-{key}">{label}</label>'
        f'<input type="text" id="we-{key}" data-automation-id="{key}" value="{html.escape(parsed[key])}" readonly></div>'
        for key, label in rows
    )
    return (
        f'<div data-automation-id="workExperienceSection"><h3>Work Experience</h3>'
        f'<div data-automation-id="workExperience-1"><h4>Work Experience 1</h4>{fields}</div></div>'
    )


def _step_page(step: Step, application: Application) -> str:
    saved = application.values.get(step.key, {})
    controls = "".join(_control(f, saved.get(f.key, f.preset), 10 + n) for n, f in enumerate(step.fields))
    if step.key == "myExperience":
        uploaded = application.resume[0] if application.resume else ""
        controls = f"""
{_experience(application)}
<div data-automation-id="educationSection"><h3>Education</h3><button type="button" data-automation-id="add-button">Add</button></div>
<div data-automation-id="websitePanelSet"><h3>Websites</h3><button type="button" data-automation-id="add-button">Add</button></div>
{controls}
<div data-automation-id="resumeSection" class="file-upload"><h3>Resume/CV<abbr title="required">*</abbr></h3>
  <div data-automation-id="file-upload-drop-zone"><p>Drop file here</p>
    <button type="button" data-automation-id="select-files">Select files</button>
    <input type="file" data-automation-id="file-upload-input-ref" style="display:none"></div>
  <div data-automation-id="file-upload-successful"{"" if uploaded else " hidden"}>
    <span data-automation-id="file-upload-item-name" class="file-upload__filename">{html.escape(uploaded)}</span>
    <span>Successfully Uploaded!</span></div>
</div>"""
    return f"""
<div data-automation-id="applyFlowPage">{_progress(application.step)}
<div data-automation-id="{step.page}"><h2 data-automation-id="pageHeader">{html.escape(step.title)}</h2>{controls}</div>
<div class="wd-nav" data-automation-id="pageFooter">
{'<button type="button" data-automation-id="bottom-navigation-previous-button">Back</button>' if application.step else ""}
<button type="button" data-automation-id="bottom-navigation-next-button">Save and Continue</button></div></div>"""


def _review(application: Application) -> str:
    sections = []
    for step in STEPS:
        values = application.values.get(step.key, {})
        rows = "".join(
            f"<dt>{html.escape(f.label)}</dt><dd>{html.escape(values.get(f.key, '')) or '—'}</dd>" for f in step.fields
        )
        sections.append(f"<section><h3>{html.escape(step.title)}</h3><dl>{rows}</dl></section>")
    return f"""
<div data-automation-id="applyFlowPage">{_progress(len(STEPS))}
<div data-automation-id="applyFlowReviewPage"><h2 data-automation-id="pageHeader">Review</h2>{"".join(sections)}</div>
<div class="wd-nav" data-automation-id="pageFooter">
<button type="button" data-automation-id="bottom-navigation-previous-button">Back</button>
<button type="button" data-automation-id="bottom-navigation-next-button">Submit</button></div></div>"""


def _submitted(title: str) -> str:
    return (
        f'<div data-automation-id="applyFlowPage"><div data-automation-id="congratulationsPopup" role="dialog">'
        f"<h2>Application Submitted</h2><p>Thank you for applying to {html.escape(title)} at {COMPANY}.</p>"
        "</div></div>"
    )


# What the applicant of tests/fixtures/real_pages/profile.yaml (with "No" saved for the previous-worker
# question) must send, per step.
EXPECTED_STEPS = {
    "myInformation": {
        "candidateIsPreviousWorker": "No",
        "countryDropdown": "United States of America",
        "legalNameSection_firstName": "Ada",
        "legalNameSection_lastName": "Lovelace",
        "addressSection_city": "Austin",
        "addressSection_countryRegion": "Texas",
        "phone-device-type": "Mobile",
        "country-phone-code": "United States of America (+1)",
        "phone-number": "512 555 0142",
    },
    "myExperience": {"linkedinQuestion": "https://www.linkedin.com/in/ada-lovelace"},
    "applicationQuestions": {"workAuthorization": "Yes", "sponsorship": "No"},
    "voluntaryDisclosures": {
        "gender": "I do not wish to answer",
        "ethnicityDropdown": "I do not wish to answer.",
        "veteranStatus": "I do not wish to self-identify",
        "agreementCheckbox": "true",
    },
    "selfIdentify": {"name": "Ada Lovelace", "disabilityStatus": "I do not want to answer"},
}
# What the profile does not hold: never filled (the source prompt, middle name, street, ZIP, extension, salary).
MUST_STAY_EMPTY = {
    "myInformation": (
        "source",
        "legalNameSection_middleName",
        "addressSection_addressLine1",
        "addressSection_postalCode",
        "phone-extension",
    ),
    "applicationQuestions": ("salaryExpectations",),
}
PREVIOUS_WORKER = f"Have you previously worked for {COMPANY}?"
