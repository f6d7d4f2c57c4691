"""How accurately, and how fast, each ATS adapter fills its form, graded by the POST the local site records.

For every local ATS fixture (new and classic Greenhouse, Lever, Workable, Ashby, SmartRecruiters)
the adapter path runs through the public API - `open_browser`, `open_application`, `adapter.fill`,
`adapter.submit` - `--runs` times, each in a fresh headed Chromium. Per application it measures

* field accuracy: how many of the expected POSTed fields (the ones the fixture tests assert,
  résumé compared by bytes) the site received exactly, over how many were expected;
* time to review: from navigation start (`open_application`) until `fill` returns the filled form
  read back with its screenshot, i.e. what the user is asked to review;
* LLM calls: every call through `automation.llm` is counted (adapters make none; no model is set).

With the unknown-ATS fixture the generic browser-use agent fills the form, driven by the scripted
OpenAI-compatible fake from bench/agent_vs_adapter.py ("scripted model": it answers instantly, so
the times are the agent's own overhead, not a real model's latency).

Everything runs on 127.0.0.1 (Chromium resolves no other host). Exits 1 if any row's accuracy is
below 98 % or any single time to review is 10 s or more. Needs Chromium and an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.ats_accuracy [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import SecretStr

from automation import llm
from automation.adapters import (
    ApplicantFiles,
    AshbyAdapter,
    ClassicGreenhouseAdapter,
    GreenhouseAdapter,
    LeverAdapter,
    SmartRecruitersAdapter,
    SubmitOutcome,
    WorkableAdapter,
    open_application,
)
from automation.backends.browser_use_agent import BrowserUseBackend
from automation.browser import BrowserOptions, configure_offline_environment, open_browser
from bench.agent_vs_adapter import ANSWER, FixedAsker, scripted_model
from storage.models import Links, Profile
from tests.fakes import ats_ashby, ats_lever, ats_smartrecruiters, job_site
from tests.fakes.ats_ashby import AshbyJobSite
from tests.fakes.ats_greenhouse_classic import ClassicGreenhouseJobSite
from tests.fakes.ats_lever import LeverJobSite
from tests.fakes.ats_smartrecruiters import SmartRecruitersJobSite
from tests.fakes.ats_workable import WorkableJobSite
from tests.fakes.job_site import GreenhouseJobSite
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.unknown_site import UnknownJobSite
from tests.plugins.browser import LOCAL_HOSTS, OFFLINE_ARGS, offline_resolver

# browser-use reads this environment when it is first imported, which happens later (open_browser and the
# agent backend set it too); set at import, so that every bench importing this module runs offline from the start.
configure_offline_environment()

CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
MIN_ACCURACY = 0.98
MAX_REVIEW_S = 10.0
POST_TIMEOUT_S = 30.0

RESUME_NAME = "Ada Lovelace CV.pdf"
RESUME = b"%PDF-1.4\n1 0 obj <<>> endobj\n% Notes on the Analytical Engine\n%%EOF\n"
ABSENT = object()  # the field must not be posted at all

# One applicant. Each fixture gets the links and saved answers its tests use (the same question,
# e.g. "How did you hear about this job?", is free text on one form and a fixed list on another).
BASE = Profile(
    first_name="Ada",
    last_name="Lovelace",
    email="ada.lovelace@example.org",
    phone="+44 20 7946 0958",
    location="London, United Kingdom",
)
LINKEDIN = "https://www.linkedin.com/in/ada-lovelace"
FRIEND = "A friend at the Analytical Engine Society"
WHY_ACME = "Reusable rockets that launch on schedule."
WHY_ORBITAL = "Your launch schedulers are the most interesting queueing problem I know of."
WHY_US = "I want to help make spaceflight ordinary."
MESSAGE = "I have followed your launches since the first static fire."
DECLINE = "Decline to self-identify"
LONDON = "London, England, United Kingdom"  # the place search's suggestion for "London, United Kingdom"


def _profile(links: Links, answers: dict[str, str]) -> Profile:
    return BASE.model_copy(update={"links": links, "answers": answers})


def _classic_answer(index: int, question_id: str, kind: str, value: str) -> dict[str, str]:
    prefix = f"job_application[answers_attributes][{index}]"
    return {f"{prefix}[question_id]": question_id, f"{prefix}[{kind}]": value}


LEVER_ANSWERS = {
    "Are you authorized to work in the European Union?": "Yes",
    "how many years of professional Python experience do you have": "5+ Years",
    "Which of these have you run in production?": "python; PostgreSQL",
    "Why do you want to join Orbital Freight?": WHY_ORBITAL,
    "How did you hear about this job?": "Company's website",
    "Which languages do you speak fluently?": "English, Portuguese",
}
LEVER_LINKS = Links(linkedin=LINKEDIN, github="https://github.com/ada", portfolio="https://ada.example/notes")
ACME_LINKS = Links(linkedin=LINKEDIN, website="https://ada.example.org")


@dataclass(frozen=True)
class Fixture:
    name: str
    site: Callable[[], Any]
    url: Callable[[Any], str]
    adapter: type
    profile: Profile
    fields: dict[str, Any]  # expected POSTed fields (ABSENT: must not be posted)
    files: dict[str, bytes]  # expected uploads, compared by bytes
    ignored: frozenset[str] = frozenset()  # the site's own bookkeeping fields


FIXTURES = [
    Fixture(
        "Greenhouse",
        GreenhouseJobSite,
        lambda s: s.posting_url,
        GreenhouseAdapter,
        _profile(
            Links(linkedin=LINKEDIN, github="https://github.com/ada"),
            {
                "how did you hear about this JOB?": FRIEND,
                job_site.SPONSORSHIP: "No",
                job_site.MOTIVATION: WHY_ACME,
                job_site.TEAM: "flight software",
                job_site.RELOCATE: "Yes",
                job_site.OFFICES: "London, Remote",
            },
        ),
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada.lovelace@example.org",
            "country": "GB",
            "phone": "+44 20 7946 0958",
            "candidate-location": "London, England, United Kingdom",
            "question_30215431002": LINKEDIN,
            "question_30215434002": "https://github.com/ada",
            "question_30215432002": FRIEND,
            job_site.SPONSORSHIP_ID: "0",
            job_site.MOTIVATION_ID: WHY_ACME,
            job_site.TEAM_ID: "7002",
            job_site.RELOCATE_ID: "1",
            job_site.OFFICES_ID: ["4102", "4104"],
            job_site.OTHER_ROLES_ID: ABSENT,
            job_site.ACKNOWLEDGEMENT_ID: "1",
            **job_site.EEO_DECLINED,
            "race": ABSENT,
        },  # the profile declines; race is asked only after "No"
        {"resume": RESUME},
    ),
    Fixture(
        "Greenhouse classic",
        ClassicGreenhouseJobSite,
        lambda s: s.posting_url,
        ClassicGreenhouseAdapter,
        _profile(
            ACME_LINKS,
            {"are you legally authorized to work in germany": "Yes, I am", "How did you hear about this job?": FRIEND},
        ),
        {
            "job_application[first_name]": "Ada",
            "job_application[last_name]": "Lovelace",
            "job_application[email]": "ada.lovelace@example.org",
            "job_application[phone]": "+44 20 7946 0958",
            "job_application[location]": "London, United Kingdom",
            **_classic_answer(0, "4401", "text_value", LINKEDIN),
            **_classic_answer(1, "4402", "text_value", "https://ada.example.org"),
            **_classic_answer(2, "4403", "boolean_value", "1"),
            **_classic_answer(3, "4404", "text_value", FRIEND),
            **_classic_answer(4, "4405", "boolean_value", ""),
            **_classic_answer(5, "4406", "text_value", ""),
            "job_application[gender]": "3",
            "job_application[hispanic_ethnicity]": "Decline To Self Identify",
            "job_application[veteran_status]": "3",
            "job_application[disability_status]": "3",
        },
        {"job_application[resume]": RESUME},
    ),
    Fixture(
        "Lever",
        LeverJobSite,
        lambda s: s.posting_url,
        LeverAdapter,
        _profile(LEVER_LINKS, LEVER_ANSWERS),
        {
            "name": "Ada Lovelace",
            "email": "ada.lovelace@example.org",
            "phone": "+44 20 7946 0958",
            "location": LONDON,
            "selectedLocation": ats_lever.selected_location(LONDON),
            "org": "",
            "urls[LinkedIn]": LINKEDIN,
            "urls[GitHub]": "https://github.com/ada",
            "urls[Portfolio]": "https://ada.example/notes",
            f"cards[{ats_lever.CARD_SCREENING}][field0]": "Yes",
            f"cards[{ats_lever.CARD_SCREENING}][field1]": "5+ years",
            f"cards[{ats_lever.CARD_SCREENING}][field2]": ["Python", "PostgreSQL"],
            f"cards[{ats_lever.CARD_MOTIVATION}][field1]": WHY_ORBITAL,
            "eeo[gender]": DECLINE,
            "eeo[race]": DECLINE,
            "eeo[veteran]": DECLINE,
            "eeo[disability]": "I don't wish to answer",
            "consent[store]": "true",
            "consent[marketing]": ABSENT,
        },
        {"resume": RESUME},
        ats_lever.BOOKKEEPING_FIELDS,
    ),
    Fixture(
        "Workable",
        WorkableJobSite,
        lambda s: s.job_url,
        WorkableAdapter,
        _profile(LEVER_LINKS, LEVER_ANSWERS),
        {
            "firstname": "Ada",
            "lastname": "Lovelace",
            "email": "ada.lovelace@example.org",
            "phone": "+442079460958",
            "address": "London, United Kingdom",
            "CA_18450": LINKEDIN,
            "3482016": WHY_ORBITAL,
            "CA_18444": "true",
            "3482017": "2",
            "3482018": ["11", "14"],
            "gdpr": "true",
            "gdpr_future": "false",
        },
        {"resume": RESUME},
    ),
    Fixture(
        "Ashby",
        AshbyJobSite,
        lambda s: s.posting_url,
        AshbyAdapter,
        _profile(
            ACME_LINKS,
            {
                "are you authorized to work in the  United Kingdom?": "Yes, I am",
                "How did you hear about us?": "friend or colleague",
                "Why do you want to work at Acme Rockets?": WHY_US,
            },
        ),
        {
            "_systemfield_name": "Ada Lovelace",
            "_systemfield_email": "ada.lovelace@example.org",
            ats_ashby.PHONE: "+44 20 7946 0958",
            ats_ashby.LINKEDIN: LINKEDIN,
            ats_ashby.WORK_AUTHORISATION: True,
            ats_ashby.HEARD_ABOUT: "A friend or colleague",
            ats_ashby.WHY_US: WHY_US,
            ats_ashby.LOCATION: "London, England, United Kingdom",
            ats_ashby.GENDER: DECLINE,
            ats_ashby.RACE: DECLINE,
            ats_ashby.VETERAN: "I don't wish to answer",
            ats_ashby.DISABILITY: "I do not want to answer",
        },
        {"_systemfield_resume": RESUME},
    ),
    Fixture(
        "SmartRecruiters",
        SmartRecruitersJobSite,
        lambda s: s.posting_url,
        SmartRecruitersAdapter,
        _profile(
            ACME_LINKS,
            {
                "Are you legally authorised to work in the European Union?": "yes",
                "How many years of professional Python experience do you have?": "8",
                "What is your notice period?": "1 Month.",
                "Message to the hiring team": MESSAGE,
            },
        ),
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada.lovelace@example.org",
            "confirmEmail": "ada.lovelace@example.org",
            "location": "London, England, United Kingdom",
            "phoneNumber": "+44 20 7946 0958",
            "linkedin": LINKEDIN,
            "website": "https://ada.example.org",
            "message": MESSAGE,
            ats_smartrecruiters.WORK_PERMIT: "yes",
            ats_smartrecruiters.PYTHON_YEARS: "8",
            ats_smartrecruiters.NOTICE_PERIOD: "1m",
            "privacyPolicy": "true",
        },
        {"resume": RESUME},
    ),
]

AGENT_FIELDS = {
    "who": "Ada Lovelace",
    "reach": "ada.lovelace@example.org",
    "ring": "+44 20 7946 0958",
    "puzzle": ANSWER,
}
AGENT_FILES = {"papers": RESUME}


@dataclass
class Run:
    right: int
    expected: int
    unexpected: list[str]  # answered fields the ground truth does not name
    wrong: list[str]  # expected fields missing or different
    review_s: float
    llm_calls: int
    outcome: str


@dataclass
class Row:
    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def accuracy(self) -> float:
        return sum(r.right for r in self.runs) / max(1, sum(r.expected for r in self.runs))

    @property
    def review_s(self) -> float:
        return statistics.median(r.review_s for r in self.runs)


class LLMCalls:
    """Every call made through automation.llm, whoever makes it (each goes through a UsageCounter)."""

    def __init__(self) -> None:
        self.count = 0
        calls, record, failure = self, llm.UsageCounter.record, llm.UsageCounter.record_failure

        # Named as the methods they replace (`self` is the counter), so that they fit wherever those do.
        def counted_record(self: llm.UsageCounter, message: BaseMessage | None) -> None:
            calls.count += 1
            record(self, message)

        def counted_failure(self: llm.UsageCounter) -> None:
            calls.count += 1
            failure(self)

        llm.UsageCounter.record = counted_record  # type: ignore[method-assign]
        llm.UsageCounter.record_failure = counted_failure  # type: ignore[method-assign]


def _posted(submission: Any) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    values = getattr(submission, "values", None)  # Ashby posts JSON values
    return (values if isinstance(values, dict) else submission.fields), submission.files


def grade(submission: Any, fields: dict[str, Any], files: dict[str, bytes], ignored: frozenset[str]) -> tuple:
    if submission is None:
        return 0, len(fields) + len(files), [], ["<nothing posted>"]
    posted, uploads = _posted(submission)
    wrong = [
        name
        for name, value in fields.items()
        if not ((name not in posted) if value is ABSENT else (posted.get(name, ABSENT) == value))
    ]
    wrong += [name for name, content in files.items() if uploads.get(name, ("", b""))[1] != content]
    unexpected = [
        name
        for name, value in posted.items()
        if value not in ("", None, [], False) and name not in fields and name not in ignored
    ]
    unexpected += [name for name in uploads if name not in files]
    return len(fields) + len(files) - len(wrong), len(fields) + len(files), unexpected, wrong


async def _wait(site: Any, timeout: float) -> Any:
    wait = getattr(site, "wait_for_submission", None) or site.wait_for_post
    try:
        return await wait(timeout=timeout)
    except TimeoutError:
        return None


async def adapter_run(fixture: Fixture, options: BrowserOptions, resume: Path, calls: LLMCalls) -> Run:
    before = calls.count
    async with fixture.site() as site, open_browser(options) as browser:
        started = time.perf_counter()
        adapter = await open_application(browser, fixture.url(site))
        if not isinstance(adapter, fixture.adapter):
            raise TypeError(f"{fixture.name}: got {type(adapter).__name__}, expected {fixture.adapter.__name__}")
        filled = await adapter.fill(browser, fixture.profile, ApplicantFiles(resume=resume))
        review_s = time.perf_counter() - started
        if not filled.screenshot:
            raise RuntimeError(f"{fixture.name}: the filled form came back without a screenshot")
        result = await adapter.submit(browser)
        submission = await _wait(site, POST_TIMEOUT_S)
    right, expected, unexpected, wrong = grade(submission, fixture.fields, fixture.files, fixture.ignored)
    outcome = (
        result.outcome.value
        if result.outcome is SubmitOutcome.CONFIRMED
        else f"{result.outcome.value}: {result.detail[:120]}"
    )
    return Run(right, expected, unexpected, wrong, review_s, calls.count - before, outcome)


async def agent_run(options: BrowserOptions, resume: Path, calls: LLMCalls) -> Run:
    before = calls.count
    async with UnknownJobSite() as site, FakeOpenAI() as model, open_browser(options) as browser:
        model.script(scripted_model(resume))
        async with BrowserUseBackend(
            options, model.base_url, SecretStr(model.api_key), "fake-model", browser=browser
        ) as backend:
            started = time.perf_counter()
            filled = await backend.fill(site.apply_url, BASE, ApplicantFiles(resume=resume), FixedAsker())
            review_s = time.perf_counter() - started
            if not filled.screenshot:
                raise RuntimeError("agent: the filled form came back without a screenshot")
            result = await backend.submit()
            submission = await _wait(site, POST_TIMEOUT_S)
            usage = backend.usage
    right, expected, unexpected, wrong = grade(submission, AGENT_FIELDS, AGENT_FILES, frozenset())
    llm_calls = (usage.llm_calls if usage else 0) + calls.count - before
    return Run(right, expected, unexpected, wrong, review_s, llm_calls, result.outcome.value)


def _line(name: str, accuracy: float, right: int, expected: int, review: str, llm_calls: str, notes: str) -> str:
    return f"| {name} | {accuracy:.1%} ({right}/{expected}) | {review} | {llm_calls} | {notes} |"


def report(rows: list[Row], runs: int) -> bool:
    print(
        f"\nATS accuracy: {runs} run(s) per form, headed Chromium {CHROMIUM}, {os.cpu_count()} cores, 127.0.0.1 only\n"
    )
    print("| form | field accuracy | median time to review s (max) | LLM calls / application | notes |")
    print("|---|---|---|---|---|")
    ok = True
    for row in rows:
        notes = [row.note] if row.note else []
        outcomes = sorted({r.outcome for r in row.runs})
        if outcomes != ["confirmed"]:
            notes.append("submit: " + "; ".join(outcomes))
        if wrong := sorted({name for r in row.runs for name in r.wrong}):
            notes.append("wrong: " + ", ".join(wrong))
        if extra := sorted({name for r in row.runs for name in r.unexpected}):
            notes.append("unexpected: " + ", ".join(extra))
        calls = sorted({r.llm_calls for r in row.runs})
        review = f"{row.review_s:.2f} ({max(r.review_s for r in row.runs):.2f})"
        print(
            _line(
                row.name,
                row.accuracy,
                sum(r.right for r in row.runs),
                sum(r.expected for r in row.runs),
                review,
                "/".join(map(str, calls)),
                "; ".join(notes) or "-",
            )
        )
        ok &= row.accuracy >= MIN_ACCURACY and max(r.review_s for r in row.runs) < MAX_REVIEW_S
    adapters = [row for row in rows if not row.note]
    every = [r for row in adapters for r in row.runs]
    right, expected = sum(r.right for r in every), sum(r.expected for r in every)
    print(
        _line(
            f"**total, {len(adapters)} adapters**",
            right / max(1, expected),
            right,
            expected,
            f"{statistics.median(r.review_s for r in every):.2f} ({max(r.review_s for r in every):.2f})",
            str(sum(r.llm_calls for r in every) / max(1, len(every))),
            f"{len(every)} applications",
        )
    )
    print(
        f"\ngate: accuracy >= {MIN_ACCURACY:.0%} on every row and every time to review < {MAX_REVIEW_S:g} s: "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-agent", action="store_true", help="skip the scripted-model agent row")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    calls = LLMCalls()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="nyx-bench-") as tmp:
        resume = Path(tmp) / RESUME_NAME
        resume.write_bytes(RESUME)
        options = BrowserOptions(
            executable_path=CHROMIUM,
            headless=False,
            profiles_dir=Path(tmp) / "profiles",
            extra_args=OFFLINE_ARGS,
            allow_hosts=LOCAL_HOSTS,
            resolver=offline_resolver,
        )
        for fixture in FIXTURES:
            row = Row(fixture.name)
            for _ in range(args.runs):
                row.runs.append(await adapter_run(fixture, options, resume, calls))
            rows.append(row)
        if not args.no_agent:
            row = Row("unknown ATS, browser-use agent", note="scripted model (instant fake), not a real LLM")
            for _ in range(args.runs):
                row.runs.append(await agent_run(options, resume, calls))
            rows.append(row)
    return 0 if report(rows, args.runs) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
