"""Filling and submitting a Teamtailor application form in real headed Chromium,
graded by what the local copy of the career site received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from automation import page_js
from automation.adapters import (
    ADAPTERS,
    ApplicantFiles,
    SubmitOutcome,
    TeamtailorAdapter,
    detect_adapter,
    open_application,
)
from automation.browser import BrowserOptions, open_browser
from storage.models import Links, Profile
from tests.fakes import ats_teamtailor
from tests.fakes.ats_teamtailor import TeamtailorJobSite
from tests.plugins.browser import PNG_SIGNATURE, readings_by_label

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

HEARD_ABOUT = "A friend at the Analytical Engine Society"
PRIVACY = "I have read and agree to Acme Rockets's privacy policy"
FUTURE_JOBS = "Keep my details on file for future jobs, as described in the privacy policy"


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
            "how did you hear about us": HEARD_ABOUT,
            "Do you have the right to work in Sweden?": "Yes, I do",
            "Which languages do you speak?": "English, German",
        },
    )


@pytest_asyncio.fixture
async def teamtailor_site() -> AsyncIterator[TeamtailorJobSite]:
    async with TeamtailorJobSite() as site:
        yield site


def answer(index: int, field: str, value: str | list[str]) -> dict[str, str | list[str]]:
    """One custom answer as posted: its hidden question id and `field` ("[text]", "[choice_ids][]")."""
    prefix = f"candidate[answers_attributes][{index}]"
    return {f"{prefix}[question_id]": ats_teamtailor.QUESTION_IDS[index], f"{prefix}{field}": value}


async def test_teamtailor_fills_and_submits_the_application(
    browser_options: BrowserOptions, teamtailor_site: TeamtailorJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        # The posting's "Apply for this job" link leads to the form, known by its DOM on 127.0.0.1.
        adapter = await open_application(browser, teamtailor_site.posting_url)
        assert isinstance(adapter, TeamtailorAdapter)
        assert await page_js.current_url(browser) == teamtailor_site.application_url
        # No other adapter claims the form.
        assert [a for a in ADAPTERS if await a.matches_page(browser)] == [TeamtailorAdapter]

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        assert filled.ats == "teamtailor"
        assert readings_by_label(filled) == {
            "First name": ("Ada", "Ada"),
            "Last name": ("Lovelace", "Lovelace"),
            "Email": ("ada.lovelace@example.org",) * 2,
            "Phone": ("+44 20 7946 0958",) * 2,
            "CV / Resume": ("Ada Lovelace CV.pdf",) * 2,
            "LinkedIn profile": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            "How did you hear about us?": (HEARD_ABOUT, HEARD_ABOUT),
            "Do you have the right to work in Sweden?": ("Yes", "Yes"),
            "Which languages do you speak?": ("English, German",) * 2,
            "Anything else you would like us to know?": (None, ""),
            PRIVACY: ("Yes", "Yes"),  # required: consent given
            FUTURE_JOBS: (None, ""),  # optional: left alone
        }
        assert filled.problems == []
        assert filled.screenshot.startswith(PNG_SIGNATURE)
        assert [question.label for question in await adapter.questions(browser)] == [
            "Anything else you would like us to know?"
        ]

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert result.url == teamtailor_site.thanks_url
    submission = await teamtailor_site.wait_for_submission(timeout=10)
    assert submission.fields == {
        "authenticity_token": ats_teamtailor.TOKEN,
        "candidate[first_name]": "Ada",
        "candidate[last_name]": "Lovelace",
        "candidate[email]": "ada.lovelace@example.org",
        "candidate[phone]": "+44 20 7946 0958",
        "candidate[linkedin_url]": "https://www.linkedin.com/in/ada-lovelace",
        **answer(0, "[text]", HEARD_ABOUT),
        **answer(1, "[choice_ids][]", "7001"),
        **answer(2, "[choice_ids][]", ["7101", "7103"]),
        **answer(3, "[text]", ""),
        "candidate[consent_given]": ["0", "1"],  # Rails' hidden "0", then the ticked box
    }
    assert submission.files == {"candidate[resume]": ("Ada Lovelace CV.pdf", resume.read_bytes())}
    assert len(teamtailor_site.submissions) == 1 and teamtailor_site.rejected_posts == 0


async def test_teamtailor_saved_answers_can_be_given_after_filling(
    browser_options: BrowserOptions, teamtailor_site: TeamtailorJobSite, profile: Profile, resume: Path
) -> None:
    undecided = profile.model_copy(update={"answers": {}})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, teamtailor_site.application_url)
        await adapter.fill(browser, undecided, ApplicantFiles(resume=resume))
        open_questions = {question.label: question for question in await adapter.questions(browser)}
        assert set(open_questions) == {
            "How did you hear about us?",
            "Do you have the right to work in Sweden?",
            "Which languages do you speak?",
            "Anything else you would like us to know?",
        }
        assert open_questions["Do you have the right to work in Sweden?"].options == ("Yes", "No")

        await adapter.answer(
            browser,
            {
                open_questions["Do you have the right to work in Sweden?"].id: "no",
                open_questions["Which languages do you speak?"].id: "Swedish",
            },
        )
        filled = await adapter.read_back(browser)

    readings = readings_by_label(filled)
    assert readings["Do you have the right to work in Sweden?"] == ("No", "No")
    assert readings["Which languages do you speak?"] == ("Swedish", "Swedish")
    assert filled.problems == []


async def test_teamtailor_missing_required_fields_are_validation_errors_and_nothing_is_recorded(
    browser_options: BrowserOptions, teamtailor_site: TeamtailorJobSite, profile: Profile
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, teamtailor_site.application_url)
        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=None))
        assert [field.label for field in filled.problems] == ["CV / Resume"]
        assert await page_js.set_value(browser, "#candidate_first_name", "")

        result = await adapter.submit(browser)
        # The server's page keeps what was typed.
        assert await page_js.evaluate(browser, "() => document.querySelector('#candidate_last_name').value") == (
            "Lovelace"
        )

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS, result.detail
    assert "First name can't be blank" in result.detail
    assert "CV / Resume can't be blank" in result.detail
    assert "privacy policy" not in result.detail  # consent was given
    assert result.url == teamtailor_site.post_url
    assert teamtailor_site.submissions == [] and teamtailor_site.rejected_posts == 1


async def test_teamtailor_form_on_a_custom_domain_is_recognised_by_its_page(
    browser_options: BrowserOptions, teamtailor_site: TeamtailorJobSite
) -> None:
    async with open_browser(browser_options) as browser:
        await browser.navigate_to(teamtailor_site.posting_url)
        assert not await TeamtailorAdapter.matches_page(browser)  # the posting shows no form yet
        await browser.navigate_to(teamtailor_site.application_url)
        assert await TeamtailorAdapter.matches_page(browser)
        assert isinstance(await detect_adapter(browser, teamtailor_site.application_url), TeamtailorAdapter)


def test_teamtailor_addresses_are_recognised_without_a_browser() -> None:
    assert TeamtailorAdapter.matches_url("https://acme.teamtailor.com/jobs/2468013-flight-software-engineer")
    assert TeamtailorAdapter.matches_url(
        "https://acme.teamtailor.com/jobs/2468013-flight-software-engineer/applications/new"
    )
    assert TeamtailorAdapter.matches_url("https://career.acme.teamtailor.com/sv/jobs/2468013-flygmjukvara")
    assert TeamtailorAdapter.matches_url("https://acme.teamtailor.com/applications/new?job=2468013")
    assert not TeamtailorAdapter.matches_url("https://acme.teamtailor.com/jobs")  # the listing
    assert not TeamtailorAdapter.matches_url("https://acme.teamtailor.com/people")
    assert not TeamtailorAdapter.matches_url("https://teamtailor.com.evil.example/jobs/2468013-x")
    assert not TeamtailorAdapter.matches_url("https://boards.greenhouse.io/acme/jobs/4098765")
    assert not any(
        adapter.matches_url("https://acme.teamtailor.com/jobs/2468013-flight-software-engineer")
        for adapter in ADAPTERS
        if adapter is not TeamtailorAdapter
    )
