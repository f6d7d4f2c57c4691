"""Filling and submitting Ashby, SmartRecruiters and classic Greenhouse forms in real headed Chromium,
graded by what each local copy of the site received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from automation import page_js
from automation.adapters import (
    ApplicantFiles,
    AshbyAdapter,
    ClassicGreenhouseAdapter,
    GreenhouseAdapter,
    SmartRecruitersAdapter,
    SubmitOutcome,
    open_application,
)
from automation.browser import BrowserOptions, open_browser
from automation.questions import Question, QuestionKind
from storage.models import Eeo, Links, Profile
from tests.fakes import ats_ashby, ats_smartrecruiters
from tests.fakes.ats_ashby import AshbyJobSite
from tests.fakes.ats_greenhouse_classic import ClassicGreenhouseJobSite
from tests.fakes.ats_smartrecruiters import SmartRecruitersJobSite
from tests.plugins.browser import PNG_SIGNATURE, readings_by_label

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WHY_US = "I want to help make spaceflight ordinary."
MESSAGE = "I have followed your launches since the first static fire."
PRIVACY = "I have read and agree to the Privacy Policy of Acme Rockets"
HEARD_ABOUT = "A friend at the Analytical Engine Society"


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace@example.org",
        phone="+44 20 7946 0958",
        location="London, United Kingdom",
        links=Links(linkedin="https://www.linkedin.com/in/ada-lovelace", website="https://ada.example.org"),
        answers={
            # Ashby: a yes/no button pair, a listbox and a long text
            "are you authorized to work in the  United Kingdom?": "Yes, I am",
            "How did you hear about us?": "friend or colleague",
            "Why do you want to work at Acme Rockets?": WHY_US,
            # SmartRecruiters: radios, a text answer, a select and the message box
            "Are you legally authorised to work in the European Union?": "yes",
            "How many years of professional Python experience do you have?": "8",
            "What is your notice period?": "1 Month.",
            "Message to the hiring team": MESSAGE,
            # classic Greenhouse: a Yes/No select (asked without the question mark) and a text answer
            "are you legally authorized to work in germany": "Yes, I am",
            "How did you hear about this job?": HEARD_ABOUT,
        },
    )


@pytest_asyncio.fixture
async def ashby_site() -> AsyncIterator[AshbyJobSite]:
    async with AshbyJobSite() as site:
        yield site


@pytest_asyncio.fixture
async def smartrecruiters_site() -> AsyncIterator[SmartRecruitersJobSite]:
    async with SmartRecruitersJobSite() as site:
        yield site


@pytest_asyncio.fixture
async def classic_site() -> AsyncIterator[ClassicGreenhouseJobSite]:
    async with ClassicGreenhouseJobSite() as site:
        yield site


# --- Ashby ---


async def test_ashby_fills_and_submits_the_application(
    browser_options: BrowserOptions, ashby_site: AshbyJobSite, profile: Profile, resume: Path
) -> None:
    # Self-identified as "female"; the rest of the EEO survey is declined, as by default.
    profile = profile.model_copy(update={"eeo": Eeo(gender="female")})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, ashby_site.posting_url)
        assert isinstance(adapter, AshbyAdapter)
        assert await page_js.current_url(browser) == ashby_site.application_url

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        assert filled.ats == "ashby"
        assert readings_by_label(filled) == {
            "Name": ("Ada Lovelace", "Ada Lovelace"),
            "Email": ("ada.lovelace@example.org",) * 2,
            "Resume": ("Ada Lovelace CV.pdf",) * 2,
            "Phone": ("+44 20 7946 0958",) * 2,
            "LinkedIn": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            "Are you authorized to work in the United Kingdom?": ("Yes", "Yes"),
            "How did you hear about us?": ("A friend or colleague",) * 2,
            "Why do you want to work at Acme Rockets?": (WHY_US, WHY_US),
            "When could you start?": (None, ""),
            # the typeahead's suggestion that best matches "London, United Kingdom"
            "Location": ("London, England, United Kingdom",) * 2,
            "Will you now or in the future require visa sponsorship?": (None, ""),
            "Which of these have you run in production?": (None, ""),
            "Gender": ("Female", "Female"),
            "Race": ("Decline to self-identify",) * 2,
            "Veteran Status": ("I don't wish to answer",) * 2,
            "Disability Status": ("I do not want to answer",) * 2,
        }
        assert filled.problems == []
        assert filled.screenshot.startswith(PNG_SIGNATURE)

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert "thanks for applying" in result.detail
    submission = await ashby_site.wait_for_submission(timeout=10)
    assert submission.values == {
        "_systemfield_name": "Ada Lovelace",
        "_systemfield_email": "ada.lovelace@example.org",
        ats_ashby.PHONE: "+44 20 7946 0958",
        ats_ashby.LINKEDIN: "https://www.linkedin.com/in/ada-lovelace",
        ats_ashby.WORK_AUTHORISATION: True,
        ats_ashby.HEARD_ABOUT: "A friend or colleague",
        ats_ashby.WHY_US: WHY_US,
        ats_ashby.LOCATION: "London, England, United Kingdom",
        ats_ashby.GENDER: "Female",
        ats_ashby.RACE: "Decline to self-identify",
        ats_ashby.VETERAN: "I don't wish to answer",
        ats_ashby.DISABILITY: "I do not want to answer",
    }
    assert submission.files == {"_systemfield_resume": ("Ada Lovelace CV.pdf", resume.read_bytes())}
    assert len(ashby_site.submissions) == 1


async def test_ashby_open_questions_are_asked_answered_and_read_back(
    browser_options: BrowserOptions, ashby_site: AshbyJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, ashby_site.application_url)
        await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        open_questions = {question.label: question for question in await adapter.questions(browser)}
        assert set(open_questions) == {
            "When could you start?",
            "Will you now or in the future require visa sponsorship?",
            "Which of these have you run in production?",
        }
        sponsorship = open_questions["Will you now or in the future require visa sponsorship?"]
        assert (sponsorship.kind, sponsorship.options) == (QuestionKind.RADIO, ("Yes", "No"))
        production = open_questions["Which of these have you run in production?"]
        assert (production.kind, production.options) == (
            QuestionKind.CHECKBOX,
            ("Python", "PostgreSQL", "Kubernetes", "Kafka"),
        )
        assert isinstance(production, Question) and not production.required

        await adapter.answer(browser, {sponsorship.id: "No, I do not", production.id: "postgresql; python"})
        await adapter.answer(browser, {sponsorship.id: "No"})  # answering again keeps the same button pressed

        filled = await adapter.read_back(browser)
        assert filled.find(sponsorship.label).actual == "No"
        assert filled.find(production.label).actual == "Python, PostgreSQL"
        assert filled.problems == []
        assert {question.label for question in await adapter.questions(browser)} == {"When could you start?"}

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await ashby_site.wait_for_submission(timeout=10)
    assert submission.values[ats_ashby.SPONSORSHIP] is False
    assert submission.values[ats_ashby.PRODUCTION] == ["Python", "PostgreSQL"]


async def test_ashby_location_takes_only_a_listed_suggestion(
    browser_options: BrowserOptions, ashby_site: AshbyJobSite, profile: Profile, resume: Path
) -> None:
    nowhere = profile.model_copy(update={"location": "Atlantis"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, ashby_site.application_url)
        filled = await adapter.fill(browser, nowhere, ApplicantFiles(resume=resume))
        assert filled.find("Location").intended == "Atlantis"
        assert filled.find("Location").actual == ""  # nothing listed it: the review shows the difference
        assert [field.label for field in filled.problems] == ["Location"]

        location = filled.find("Location").selector
        await adapter.answer(browser, {location: "Berlin, Germany"})
        assert (await adapter.read_back(browser)).find("Location").actual == "Berlin, Germany"

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert (await ashby_site.wait_for_submission(timeout=10)).values[ats_ashby.LOCATION] == "Berlin, Germany"


async def test_ashby_missing_required_fields_are_validation_errors_and_nothing_is_sent(
    browser_options: BrowserOptions, ashby_site: AshbyJobSite, profile: Profile
) -> None:
    undecided = profile.model_copy(update={"answers": {}})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, ashby_site.application_url)
        filled = await adapter.fill(browser, undecided, ApplicantFiles(resume=None))
        assert {field.label for field in filled.problems} == {
            "Resume",
            "Are you authorized to work in the United Kingdom?",
            "How did you hear about us?",
        }

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS
    assert "Missing entry for required field: Resume" in result.detail
    assert "Missing entry for required field: How did you hear about us?" in result.detail
    assert ashby_site.submissions == [] and ashby_site.rejected_posts == 0


async def test_ashby_form_embedded_in_a_careers_page_is_opened(
    browser_options: BrowserOptions, ashby_site: AshbyJobSite
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, ashby_site.embedding_url)
        assert isinstance(adapter, AshbyAdapter)
        assert await page_js.current_url(browser) == ashby_site.application_url + "?embed=js"


def test_ashby_addresses_are_recognised_without_a_browser() -> None:
    assert AshbyAdapter.matches_url("https://jobs.ashbyhq.com/acme/4b9c2a4e-58f1-4d0b-9d1e-6a7f3c2b1e90/application")
    assert not AshbyAdapter.matches_url("https://job-boards.greenhouse.io/acme/jobs/4012345")


# --- SmartRecruiters ---


async def test_smartrecruiters_fills_and_submits_the_application(
    browser_options: BrowserOptions, smartrecruiters_site: SmartRecruitersJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, smartrecruiters_site.posting_url)
        assert isinstance(adapter, SmartRecruitersAdapter)
        assert await page_js.current_url(browser) == smartrecruiters_site.application_url

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        assert filled.ats == "smartrecruiters"
        assert readings_by_label(filled) == {
            "First name": ("Ada", "Ada"),
            "Last name": ("Lovelace", "Lovelace"),
            "Email": ("ada.lovelace@example.org",) * 2,
            "Confirm your email": ("ada.lovelace@example.org",) * 2,
            # the suggestion that best matches "London, United Kingdom"
            "City": ("London, England, United Kingdom",) * 2,
            # spl-phone-field: the country from the calling code, then the national number
            "Country code": ("United Kingdom +44",) * 2,
            "Phone number": ("+44 20 7946 0958",) * 2,
            "Resume": ("Ada Lovelace CV.pdf",) * 2,
            "LinkedIn profile": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            "Website": ("https://ada.example.org",) * 2,
            "Message to the hiring team": (MESSAGE, MESSAGE),
            "Are you legally authorised to work in the European Union?": ("Yes", "Yes"),
            "How many years of professional Python experience do you have?": ("8", "8"),
            "What is your notice period?": ("1 month", "1 month"),
            "What are your salary expectations (EUR per year)?": (None, ""),
            PRIVACY: ("Yes", "Yes"),
            "Keep my profile on file and tell me about future opportunities": (None, ""),
        }
        assert filled.problems == []
        assert filled.screenshot.startswith(PNG_SIGNATURE)

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert "application has been submitted" in result.detail
    submission = await smartrecruiters_site.wait_for_submission(timeout=10)
    assert submission.fields == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada.lovelace@example.org",
        "confirmEmail": "ada.lovelace@example.org",
        "location": "London, England, United Kingdom",
        "phoneNumber": "+44 20 7946 0958",
        "linkedin": "https://www.linkedin.com/in/ada-lovelace",
        "website": "https://ada.example.org",
        "message": MESSAGE,
        ats_smartrecruiters.WORK_PERMIT: "yes",
        ats_smartrecruiters.PYTHON_YEARS: "8",
        ats_smartrecruiters.NOTICE_PERIOD: "1m",
        "privacyPolicy": "true",
    }
    assert submission.files == {"resume": ("Ada Lovelace CV.pdf", resume.read_bytes())}
    assert len(smartrecruiters_site.submissions) == 1


async def test_smartrecruiters_missing_required_fields_are_validation_errors_and_nothing_is_sent(
    browser_options: BrowserOptions, smartrecruiters_site: SmartRecruitersJobSite, profile: Profile
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, smartrecruiters_site.application_url)
        await adapter.fill(browser, profile, ApplicantFiles(resume=None))
        # The field is an <spl-input>: its input is inside the element's open shadow root.
        assert await page_js.set_value(browser, ">>> #confirm-email-input >>> input", "ada@example.org")

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS
    assert "Please upload your resume" in result.detail
    assert "Email addresses do not match" in result.detail
    assert smartrecruiters_site.submissions == [] and smartrecruiters_site.rejected_posts == 0


async def test_smartrecruiters_fields_inside_shadow_roots_are_asked_and_answered(
    browser_options: BrowserOptions, smartrecruiters_site: SmartRecruitersJobSite, profile: Profile, resume: Path
) -> None:
    undecided = profile.model_copy(update={"answers": {}})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, smartrecruiters_site.application_url)
        filled = await adapter.fill(browser, undecided, ApplicantFiles(resume=resume))

        # Personal information and the résumé live in spl-* elements' open shadow roots.
        assert " >>> #first-name-input >>> " in filled.find("First name").selector
        assert " >>> spl-dropzone" in filled.find("Resume").selector
        assert filled.find("Resume").actual == "Ada Lovelace CV.pdf"
        open_questions = {question.label: question for question in await adapter.questions(browser)}
        work_permit = open_questions["Are you legally authorised to work in the European Union?"]
        notice = open_questions["What is your notice period?"]
        assert (work_permit.kind, work_permit.options) == (QuestionKind.RADIO, ("Yes", "No"))
        assert work_permit.required
        assert notice.kind is QuestionKind.SELECT and "1 month" in notice.options

        await adapter.answer(
            browser,
            {work_permit.id: "Yes", notice.id: "2 Months", filled.find("Phone number").selector: "+44 20 7946 0000"},
        )
        filled = await adapter.read_back(browser)
        assert filled.find(work_permit.label).actual == "Yes"
        assert filled.find(notice.label).actual == "2 months"
        assert filled.find("Phone number").actual == "+44 20 7946 0000"

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await smartrecruiters_site.wait_for_submission(timeout=10)
    assert submission.fields[ats_smartrecruiters.WORK_PERMIT] == "yes"
    assert submission.fields[ats_smartrecruiters.NOTICE_PERIOD] == "2m"
    assert submission.fields["phoneNumber"] == "+44 20 7946 0000"


async def test_smartrecruiters_phone_country_comes_from_the_location_and_can_be_corrected(
    browser_options: BrowserOptions, smartrecruiters_site: SmartRecruitersJobSite, profile: Profile, resume: Path
) -> None:
    national = profile.model_copy(update={"phone": "912 345 678", "location": "Lisbon, Portugal"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, smartrecruiters_site.application_url)
        filled = await adapter.fill(browser, national, ApplicantFiles(resume=resume))
        # No calling code: the country comes from the location.
        assert readings_by_label(filled)["Country code"] == ("Portugal +351",) * 2
        assert readings_by_label(filled)["Phone number"] == ("+351 912 345 678",) * 2
        assert readings_by_label(filled)["City"] == ("Lisbon, Portugal",) * 2

        await adapter.answer(browser, {filled.find("Phone number").selector: "+1 416 555 0100"})
        corrected = await adapter.read_back(browser)
        assert readings_by_label(corrected)["Country code"] == ("United States +1",) * 2
        assert readings_by_label(corrected)["Phone number"] == ("+1 416 555 0100",) * 2
        await adapter.answer(browser, {filled.find("Country code").selector: "canada"})
        corrected = await adapter.read_back(browser)
        assert readings_by_label(corrected)["Country code"] == ("Canada +1",) * 2
        assert readings_by_label(corrected)["Phone number"] == ("+1 416 555 0100",) * 2
        assert corrected.problems == []

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await smartrecruiters_site.wait_for_submission(timeout=10)
    assert submission.fields["phoneNumber"] == "+1 416 555 0100"


async def test_smartrecruiters_phone_country_no_option_has_stays_empty_and_is_a_problem(
    browser_options: BrowserOptions, smartrecruiters_site: SmartRecruitersJobSite, profile: Profile, resume: Path
) -> None:
    unknown_code = profile.model_copy(update={"phone": "+999 555 0100"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, smartrecruiters_site.application_url)
        filled = await adapter.fill(browser, unknown_code, ApplicantFiles(resume=resume))

    assert readings_by_label(filled)["Country code"] == ("+999", "")
    assert readings_by_label(filled)["Phone number"] == ("+999 555 0100",) * 2
    assert {field.label for field in filled.problems} == {"Country code"}


def test_smartrecruiters_addresses_are_recognised_without_a_browser() -> None:
    publication = "3f2c9a7e-1d4b-4c8e-9a6f-5b0e2d1c7a43"
    assert SmartRecruitersAdapter.matches_url(
        f"https://jobs.smartrecruiters.com/oneclick-ui/company/AcmeRockets/publication/{publication}"
    )
    assert SmartRecruitersAdapter.matches_url("https://jobs.smartrecruiters.com/AcmeRockets/744000012345678-engineer")
    assert not SmartRecruitersAdapter.matches_url("https://jobs.ashbyhq.com/acme/4b9c2a4e/application")


# --- classic Greenhouse ---


def classic_answer(index: int, question_id: str, kind: str, value: str) -> dict[str, str]:
    prefix = f"job_application[answers_attributes][{index}]"
    return {f"{prefix}[question_id]": question_id, f"{prefix}[{kind}]": value}


async def test_classic_greenhouse_fills_and_submits_the_application(
    browser_options: BrowserOptions, classic_site: ClassicGreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, classic_site.posting_url)
        assert isinstance(adapter, ClassicGreenhouseAdapter)
        assert await GreenhouseAdapter.matches_page(browser)  # the new-form adapter would claim it too

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        assert filled.ats == "greenhouse classic"
        assert readings_by_label(filled) == {
            "First Name": ("Ada", "Ada"),
            "Last Name": ("Lovelace", "Lovelace"),
            "Email": ("ada.lovelace@example.org",) * 2,
            "Phone": ("+44 20 7946 0958",) * 2,
            "Location (City)": ("London, United Kingdom",) * 2,
            "Resume/CV": ("Ada Lovelace CV.pdf",) * 2,
            "Cover Letter": (None, ""),
            "LinkedIn Profile": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            "Website": ("https://ada.example.org",) * 2,
            "Are you legally authorized to work in Germany?": ("Yes", "Yes"),
            "How did you hear about this job?": (HEARD_ABOUT, HEARD_ABOUT),
            "Will you now or in the future require visa sponsorship?": (None, ""),
            "What is the most interesting system you have built?": (None, ""),
            "Gender": ("Decline To Self Identify",) * 2,
            "Are you Hispanic/Latino?": ("Decline To Self Identify",) * 2,
            "Veteran Status": ("I don't wish to answer",) * 2,
            "Disability Status": ("I don't wish to answer",) * 2,
        }
        assert filled.problems == []
        assert filled.screenshot.startswith(PNG_SIGNATURE)

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert result.url == classic_site.confirmation_url
    submission = await classic_site.wait_for_submission(timeout=10)
    assert submission.fields == {
        "job_application[first_name]": "Ada",
        "job_application[last_name]": "Lovelace",
        "job_application[email]": "ada.lovelace@example.org",
        "job_application[phone]": "+44 20 7946 0958",
        "job_application[location]": "London, United Kingdom",
        **classic_answer(0, "4401", "text_value", "https://www.linkedin.com/in/ada-lovelace"),
        **classic_answer(1, "4402", "text_value", "https://ada.example.org"),
        **classic_answer(2, "4403", "boolean_value", "1"),
        **classic_answer(3, "4404", "text_value", HEARD_ABOUT),
        **classic_answer(4, "4405", "boolean_value", ""),
        **classic_answer(5, "4406", "text_value", ""),
        "job_application[gender]": "3",
        "job_application[hispanic_ethnicity]": "Decline To Self Identify",
        "job_application[veteran_status]": "3",
        "job_application[disability_status]": "3",
    }
    assert submission.files == {"job_application[resume]": ("Ada Lovelace CV.pdf", resume.read_bytes())}
    assert len(classic_site.submissions) == 1


async def test_classic_greenhouse_missing_required_fields_are_validation_errors_and_nothing_is_sent(
    browser_options: BrowserOptions, classic_site: ClassicGreenhouseJobSite, profile: Profile
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, classic_site.posting_url)
        await adapter.fill(browser, profile, ApplicantFiles(resume=None))
        assert await page_js.set_value(browser, "#first_name", "")

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS
    assert "First Name can't be blank" in result.detail
    assert "Resume/CV can't be blank" in result.detail
    assert result.url == classic_site.posting_url
    assert classic_site.submissions == [] and classic_site.rejected_posts == 0


async def test_classic_greenhouse_errors_from_the_server_are_validation_errors(
    browser_options: BrowserOptions, classic_site: ClassicGreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, classic_site.posting_url)
        await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        # Passes the page's own checks (not blank) but not the server's.
        assert await page_js.set_value(browser, "#email", "ada.lovelace@localhost")

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS
    assert "There were errors with your submission" in result.detail
    assert "Email is not a valid email address" in result.detail
    assert classic_site.submissions == [] and classic_site.rejected_posts == 1


def test_classic_greenhouse_addresses_are_told_from_the_new_board() -> None:
    assert ClassicGreenhouseAdapter.matches_url("https://boards.greenhouse.io/acme/jobs/4098765")
    assert not ClassicGreenhouseAdapter.matches_url("https://job-boards.greenhouse.io/acme/jobs/4098765")
    assert not ClassicGreenhouseAdapter.matches_url("https://boards.greenhouse.io/acme")
