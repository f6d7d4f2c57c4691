"""Filling and submitting Lever and Workable forms in real headed Chromium, graded by what the sites received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from automation import page_js
from automation.adapters import (
    ApplicantFiles,
    LeverAdapter,
    SubmitOutcome,
    WorkableAdapter,
    open_application,
)
from automation.adapters.profile_values import country_for_phone, phone_country, unmatched_country
from automation.browser import BrowserOptions, open_browser
from automation.questions import Choice, choose, choose_many
from storage.models import Links, Profile
from tests.fakes import ats_lever, ats_workable
from tests.fakes.ats_lever import LeverJobSite
from tests.fakes.ats_workable import WorkableJobSite
from tests.plugins.browser import PNG_SIGNATURE, readings_by_label

AUTHORIZED = "Are you authorized to work in the European Union?"
WHY = "Why do you want to join Orbital Freight?"
MOTIVATION = "Your launch schedulers are the most interesting queueing problem I know of."
DECLINE = "Decline to self-identify"
LONDON = "London, England, United Kingdom"
LEVER_SCREENING = f"cards[{ats_lever.CARD_SCREENING}]"
LEVER_MOTIVATION = f"cards[{ats_lever.CARD_MOTIVATION}]"


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace@example.org",
        phone="+44 20 7946 0958",
        location="London, United Kingdom",
        links=Links(
            linkedin="https://www.linkedin.com/in/ada-lovelace",
            github="https://github.com/ada",
            portfolio="https://ada.example/notes",
        ),
        answers={
            AUTHORIZED: "Yes",
            "how many years of professional Python experience do you have": "5+ Years",
            "Which of these have you run in production?": "python; PostgreSQL",
            WHY: MOTIVATION,
            "How did you hear about this job?": "Company's website",
            "Which languages do you speak fluently?": "English, Portuguese",
        },
    )


@pytest_asyncio.fixture
async def lever_site() -> AsyncIterator[LeverJobSite]:
    async with LeverJobSite() as site:
        yield site


@pytest_asyncio.fixture
async def workable_site() -> AsyncIterator[WorkableJobSite]:
    async with WorkableJobSite() as site:
        yield site


def answered(fields: dict[str, str | list[str]], bookkeeping: frozenset[str] = frozenset()) -> dict:
    """The posted fields that carry an answer."""
    return {name: value for name, value in fields.items() if value and name not in bookkeeping}


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_lever_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, lever_site: LeverJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, lever_site.posting_url)
        assert isinstance(adapter, LeverAdapter)

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        assert filled.ats == "lever"
        assert filled.url == lever_site.apply_url
        readings = readings_by_label(filled)
        assert readings == {
            "Resume/CV": ("Ada Lovelace CV.pdf",) * 2,
            "Full name": ("Ada Lovelace",) * 2,
            "Email": ("ada.lovelace@example.org",) * 2,
            "Phone": ("+44 20 7946 0958",) * 2,
            # the place search's suggestion that "London, United Kingdom" means
            "Current location": (LONDON,) * 2,
            "Current company": (None, ""),
            "LinkedIn URL": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            "GitHub URL": ("https://github.com/ada",) * 2,
            "Portfolio URL": ("https://ada.example/notes",) * 2,
            "Other website": (None, ""),
            AUTHORIZED: ("Yes", "Yes"),
            ats_lever.Q_EXPERIENCE: ("5+ years",) * 2,
            ats_lever.Q_STACK: ("Python, PostgreSQL",) * 2,
            ats_lever.Q_SALARY: (None, ""),
            WHY: (MOTIVATION,) * 2,
            "Add a cover letter or anything else you want to share.": (None, ""),
            "Gender": (DECLINE,) * 2,
            "Race": (DECLINE,) * 2,
            "Veteran status": (DECLINE,) * 2,
            "Disability status": ("I don't wish to answer",) * 2,
            "Data retention": ("Yes", "Yes"),
            "Future opportunities": (None, ""),
        }
        assert filled.problems == []
        required = {field.label for field in filled.fields if field.required}
        assert required == {"Resume/CV", "Full name", "Email", AUTHORIZED, ats_lever.Q_EXPERIENCE, "Data retention"}
        assert filled.screenshot.startswith(PNG_SIGNATURE)

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert result.url == lever_site.thanks_url
    submission = await lever_site.wait_for_submission(timeout=10)
    assert answered(submission.fields, ats_lever.BOOKKEEPING_FIELDS) == {
        "name": "Ada Lovelace",
        "email": "ada.lovelace@example.org",
        "phone": "+44 20 7946 0958",
        "location": LONDON,
        "selectedLocation": ats_lever.selected_location(LONDON),
        "urls[LinkedIn]": "https://www.linkedin.com/in/ada-lovelace",
        "urls[GitHub]": "https://github.com/ada",
        "urls[Portfolio]": "https://ada.example/notes",
        f"{LEVER_SCREENING}[field0]": "Yes",
        f"{LEVER_SCREENING}[field1]": "5+ years",
        f"{LEVER_SCREENING}[field2]": ["Python", "PostgreSQL"],
        f"{LEVER_MOTIVATION}[field1]": MOTIVATION,
        "eeo[gender]": DECLINE,
        "eeo[race]": DECLINE,
        "eeo[veteran]": DECLINE,
        "eeo[disability]": "I don't wish to answer",
        "consent[store]": "true",
    }
    assert submission.fields["org"] == ""  # the profile names no current company
    assert "consent[marketing]" not in submission.fields  # not required, so not given
    assert submission.files == {"resume": ("Ada Lovelace CV.pdf", resume.read_bytes())}
    assert lever_site.parsed_resumes == 1
    assert len(lever_site.submissions) == 1


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_lever_rejects_a_form_missing_required_fields(
    browser_options: BrowserOptions, lever_site: LeverJobSite, profile: Profile
) -> None:
    employed = profile.model_copy(update={"answers": {**profile.answers, "Current company": "Analytical Engines"}})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, lever_site.apply_url)
        filled = await adapter.fill(browser, employed, ApplicantFiles(resume=None))
        assert {field.label for field in filled.problems} == {"Resume/CV"}
        assert readings_by_label(filled)["Current company"] == ("Analytical Engines",) * 2
        assert await page_js.set_value(browser, "input[name='name']", "")

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS, result.detail
    assert "Full name is required" in result.detail
    assert "Resume/CV is required" in result.detail
    assert result.url == lever_site.apply_url
    assert lever_site.submissions == [] and lever_site.rejected_posts == 1


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_lever_location_is_picked_from_the_place_search_and_can_be_corrected(
    browser_options: BrowserOptions, lever_site: LeverJobSite, profile: Profile, resume: Path
) -> None:
    in_ontario = profile.model_copy(update={"location": "London, Ontario"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, lever_site.apply_url)
        filled = await adapter.fill(browser, in_ontario, ApplicantFiles(resume=resume))
        assert readings_by_label(filled)["Current location"] == ("London, Ontario, Canada",) * 2

        await adapter.answer(browser, {filled.find("Current location").selector: "berlin"})
        corrected = await adapter.read_back(browser)
        assert readings_by_label(corrected)["Current location"] == ("Berlin, Germany",) * 2
        assert corrected.problems == []

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await lever_site.wait_for_submission(timeout=10)
    assert submission.fields["location"] == "Berlin, Germany"
    assert submission.fields["selectedLocation"] == ats_lever.selected_location("Berlin, Germany")


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_lever_location_no_suggestion_matches_stays_empty_and_is_a_problem(
    browser_options: BrowserOptions, lever_site: LeverJobSite, profile: Profile, resume: Path
) -> None:
    nowhere = profile.model_copy(update={"location": "Atlantis, Ocean"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, lever_site.apply_url)
        filled = await adapter.fill(browser, nowhere, ApplicantFiles(resume=resume))
        assert readings_by_label(filled)["Current location"] == ("Atlantis, Ocean", "")
        assert {field.label for field in filled.problems} == {"Current location"}

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await lever_site.wait_for_submission(timeout=10)
    assert (submission.fields["location"], submission.fields["selectedLocation"]) == ("", "")


def test_lever_place_search_finds_places_by_the_start_of_their_words() -> None:
    names = [place["name"] for place in ats_lever.search_places("lond, united k")]
    assert names == [LONDON, "Londonderry, Northern Ireland, United Kingdom"]
    assert ats_lever.search_places("Atlantis") == []


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_workable_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, workable_site: WorkableJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, workable_site.job_url)
        assert isinstance(adapter, WorkableAdapter)

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        assert filled.ats == "workable"
        assert filled.url == workable_site.apply_url
        readings = readings_by_label(filled)
        consent = next(label for label in readings if label.startswith("I have read and accept the privacy notice"))
        future = next(label for label in readings if label.startswith("Keep my data for future job openings"))
        assert readings == {
            "First name": ("Ada", "Ada"),
            "Last name": ("Lovelace", "Lovelace"),
            "Email": ("ada.lovelace@example.org",) * 2,
            # intl-tel-input's flag dropdown, picked from the calling code
            "Phone country": ("United Kingdom +44",) * 2,
            "Phone": ("+44 20 7946 0958",) * 2,
            "Address": ("London, United Kingdom",) * 2,
            "Resume": ("Ada Lovelace CV.pdf",) * 2,
            "LinkedIn profile": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            ats_workable.QUESTIONS["salary"]: (None, ""),
            WHY: (MOTIVATION,) * 2,
            AUTHORIZED: ("Yes", "Yes"),
            "How did you hear about this job?": ("Company website",) * 2,
            "Which languages do you speak fluently?": ("English, Portuguese",) * 2,
            consent: ("Yes", "Yes"),
            future: (None, ""),
        }
        assert filled.problems == []
        required = {field.label for field in filled.fields if field.required}
        assert required == {"First name", "Last name", "Email", "Resume", AUTHORIZED, consent}
        assert filled.screenshot.startswith(PNG_SIGNATURE)

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert result.url == workable_site.success_url
    submission = await workable_site.wait_for_submission(timeout=10)
    assert answered(submission.fields) == {
        "firstname": "Ada",
        "lastname": "Lovelace",
        "email": "ada.lovelace@example.org",
        "phone": "+442079460958",  # intl-tel-input's getNumber(): E.164
        "address": "London, United Kingdom",
        "CA_18450": "https://www.linkedin.com/in/ada-lovelace",
        "3482016": MOTIVATION,
        "CA_18444": "true",
        "3482017": "2",
        "3482018": ["11", "14"],
        "gdpr": "true",
        "gdpr_future": "false",  # not required, so not given
    }
    assert submission.files == {"resume": ("Ada Lovelace CV.pdf", resume.read_bytes())}
    assert len(workable_site.submissions) == 1


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_workable_phone_country_comes_from_the_location_and_can_be_corrected(
    browser_options: BrowserOptions, workable_site: WorkableJobSite, profile: Profile, resume: Path
) -> None:
    national = profile.model_copy(update={"phone": "912 345 678", "location": "Lisbon, Portugal"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, workable_site.apply_url)
        filled = await adapter.fill(browser, national, ApplicantFiles(resume=resume))
        # No calling code: the country comes from the location.
        assert readings_by_label(filled)["Phone country"] == ("Portugal +351",) * 2
        assert readings_by_label(filled)["Phone"] == ("+351 912 345 678",) * 2
        assert filled.problems == []

        await adapter.answer(browser, {filled.find("Phone").selector: "+1 (415) 555-0100"})
        corrected = await adapter.read_back(browser)
        assert readings_by_label(corrected)["Phone country"] == ("United States +1",) * 2
        assert readings_by_label(corrected)["Phone"] == ("+1 (415) 555-0100",) * 2
        assert corrected.problems == []

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await workable_site.wait_for_submission(timeout=10)
    assert submission.fields["phone"] == "+14155550100"


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_workable_phone_country_no_option_has_stays_unpicked_and_is_a_problem(
    browser_options: BrowserOptions, workable_site: WorkableJobSite, profile: Profile
) -> None:
    unknown_code = profile.model_copy(update={"phone": "+999 555 0100"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, workable_site.apply_url)
        filled = await adapter.fill(browser, unknown_code, ApplicantFiles(resume=None))

    # The dropdown keeps its default country, which is not the number's: the review says so.
    assert readings_by_label(filled)["Phone country"] == ("+999", "United States +1")
    assert readings_by_label(filled)["Phone"] == ("+999 555 0100",) * 2
    assert {field.label for field in filled.problems} == {"Phone country", "Resume"}


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_workable_page_refuses_a_form_missing_required_fields(
    browser_options: BrowserOptions, workable_site: WorkableJobSite, profile: Profile
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, workable_site.apply_url)
        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=None))
        assert {field.label for field in filled.problems} == {"Resume"}
        # Like React, the page ignores a value set behind its back; it sees what a user would do.
        await page_js.evaluate(browser, "() => { document.querySelector('#email').value = ''; }")
        assert await page_js.set_value(browser, "#firstname", "")

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS, result.detail
    assert "First name is required" in result.detail
    assert "Resume is required" in result.detail
    assert "Email" not in result.detail
    assert result.url == workable_site.apply_url
    assert workable_site.submissions == [] and workable_site.rejected_posts == 0


def test_lever_and_workable_addresses_are_recognised_without_a_browser() -> None:
    assert LeverAdapter.matches_url("https://jobs.lever.co/orbital/5f0c8a62-3b1e-4d7a-9c55-2e8f41d0b6a3/apply")
    assert LeverAdapter.matches_url("https://jobs.eu.lever.co/orbital/5f0c8a62-3b1e-4d7a-9c55-2e8f41d0b6a3")
    assert not LeverAdapter.matches_url("https://jobs.lever.co/orbital")
    assert not LeverAdapter.matches_url("https://job-boards.greenhouse.io/acme/jobs/4012345")
    assert WorkableAdapter.matches_url("https://apply.workable.com/orbital-freight/j/7C1A2B9E4D/apply/")
    assert WorkableAdapter.matches_url("https://apply.workable.com/orbital-freight/j/7C1A2B9E4D/")
    assert WorkableAdapter.matches_url("https://orbital-freight.workable.com/j/7C1A2B9E4D")
    assert not WorkableAdapter.matches_url("https://apply.workable.com/orbital-freight/")
    assert not WorkableAdapter.matches_url("https://notworkable.com/orbital/j/7C1A2B9E4D")


def _choices(*labels: str, values: tuple[str, ...] = ()) -> list[Choice]:
    return [Choice(label, values[i] if values else label, False, "") for i, label in enumerate(labels)]


def test_answers_are_matched_to_options_as_a_reader_would() -> None:
    yes_no = _choices("Yes", "No", values=("true", "false"))
    assert [choose(answer, yes_no) for answer in ("Yes", "y", "yes, I am", "YES!", "true")] == [0] * 5
    assert [choose(answer, yes_no) for answer in ("No", "n", "no, I am not")] == [1] * 3
    assert choose("Maybe", yes_no) is None
    years = _choices("Less than 1 year", "1-3 years", "3-5 years", "5+ years")
    assert choose(" 5+  Years. ", years) == 3
    assert choose("3-5 years", years) == 2
    sources = _choices("LinkedIn", "Company website", "Referral", "Other")
    assert choose("Company's website", sources) == 1
    assert choose("linkedin", sources) == 0
    stack = _choices("Python", "PostgreSQL", "Redis", "Kubernetes")
    assert choose_many("postgresql; Python", stack) == [0, 1]
    assert choose_many("Python, Cobol", stack) is None


def test_phone_country_is_chosen_from_the_calling_code() -> None:
    countries = _choices(
        "Canada (+1)",
        "Guernsey (+44)",
        "Ireland (+353)",
        "Portugal (+351)",
        "United Kingdom (+44)",
        "United States (+1)",
    )
    assert country_for_phone("+44 20 7946 0958", "London, United Kingdom", countries) == (4, "20 7946 0958")
    assert country_for_phone("+44 1481 712345", "St Peter Port, Guernsey", countries) == (1, "1481 712345")
    assert country_for_phone("+1 (415) 555-0100", None, countries) == (5, "(415) 555-0100")
    assert country_for_phone("+1 416 555 0100", "Toronto, Canada", countries) == (0, "416 555 0100")
    assert country_for_phone("+353 1 234 5678", None, countries) == (2, "1 234 5678")
    assert country_for_phone("020 7946 0958", "London", countries) is None


def test_phone_country_falls_back_to_the_location_and_names_an_unknown_code() -> None:
    # intl-tel-input lists its preferred countries first, then every country again.
    labels = ["United States +1", "United Kingdom +44", "Portugal +351", "United Kingdom +44", "United States +1"]
    assert phone_country("+44 20 7946 0958", None, labels) == (1, "20 7946 0958")
    assert phone_country("912 345 678", "Lisbon, Portugal", labels) == (2, "912 345 678")
    assert phone_country("912 345 678", "Atlantis", labels) == (None, "912 345 678")
    assert phone_country("+999 555 0100", "Lisbon, Portugal", labels) == (None, "+999 555 0100")
    assert unmatched_country("+999 555 0100") == "+999"
    assert unmatched_country("0151 496 0123") is None
