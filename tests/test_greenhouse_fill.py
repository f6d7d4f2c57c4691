"""Filling and submitting a Greenhouse form in real headed Chromium, graded by what the site received."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation import page_js
from automation.adapters import (
    ApplicantFiles,
    GreenhouseAdapter,
    SubmitOutcome,
    UnsupportedForm,
    detect_adapter,
    open_application,
)
from automation.browser import BrowserOptions, open_browser
from storage.models import Links, Profile
from tests.fakes.job_site import (
    MOTIVATION,
    MOTIVATION_ID,
    SPONSORSHIP,
    SPONSORSHIP_ID,
    GreenhouseJobSite,
)
from tests.plugins.browser import PNG_SIGNATURE

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

HEARD_ABOUT = "How did you hear about this job?"
WHY_ACME = "Reusable rockets that launch on schedule."


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace@example.org",
        phone="+44 20 7946 0958",
        location="London, United Kingdom",
        links=Links(linkedin="https://www.linkedin.com/in/ada-lovelace", github="https://github.com/ada"),
        answers={
            "how did you hear about this JOB?": "A friend at the Analytical Engine Society",
            SPONSORSHIP: "No",
            MOTIVATION: WHY_ACME,
        },
    )


def readings_by_label(filled) -> dict[str, tuple[str | None, str | None]]:
    return {field.label: (field.intended, field.actual) for field in filled.fields}


async def test_fills_and_submits_the_posting_form(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        assert isinstance(adapter, GreenhouseAdapter)

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        assert filled.ats == "greenhouse"
        assert filled.url == job_site.posting_url
        assert readings_by_label(filled) == {
            "First Name": ("Ada", "Ada"),
            "Last Name": ("Lovelace", "Lovelace"),
            "Email": ("ada.lovelace@example.org", "ada.lovelace@example.org"),
            "Phone": ("+44 20 7946 0958", "+44 20 7946 0958"),
            "Location (City)": ("London, United Kingdom", "London, United Kingdom"),
            "Resume/CV": ("Ada Lovelace CV.pdf", "Ada Lovelace CV.pdf"),
            "Cover Letter": (None, ""),
            "LinkedIn Profile": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            "GitHub URL": ("https://github.com/ada",) * 2,
            HEARD_ABOUT: ("A friend at the Analytical Engine Society",) * 2,
            "What is the most interesting system you have built?": (None, ""),
            SPONSORSHIP: ("No", "No"),
            MOTIVATION: (WHY_ACME, WHY_ACME),
        }
        assert filled.problems == []
        assert filled.screenshot.startswith(PNG_SIGNATURE)

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    assert result.url == job_site.url_for("/acme/jobs/4012345/confirmation")
    submission = await job_site.wait_for_submission(timeout=10)
    assert submission.fields == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada.lovelace@example.org",
        "phone": "+44 20 7946 0958",
        "candidate-location": "London, United Kingdom",
        "question_30215431002": "https://www.linkedin.com/in/ada-lovelace",
        "question_30215434002": "https://github.com/ada",
        "question_30215432002": "A friend at the Analytical Engine Society",
        SPONSORSHIP_ID: "0",
        MOTIVATION_ID: WHY_ACME,
    }
    assert submission.files == {"resume": ("Ada Lovelace CV.pdf", resume.read_bytes())}
    assert len(job_site.submissions) == 1


async def test_missing_required_fields_are_validation_errors_and_nothing_is_sent(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        await adapter.fill(browser, profile, ApplicantFiles(resume=None))
        assert await page_js.set_value(browser, "#first_name", "")

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS
    assert "First Name is required" in result.detail
    assert "Resume/CV is required" in result.detail
    assert result.url == job_site.posting_url
    assert job_site.submissions == [] and job_site.rejected_posts == 0


async def test_required_fields_the_profile_cannot_fill_are_problems(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile
) -> None:
    homeless = profile.model_copy(update={"location": None, "answers": {}})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        filled = await adapter.fill(browser, homeless, ApplicantFiles(resume=None))

    assert {field.label for field in filled.problems} == {"Resume/CV", "Location (City)", SPONSORSHIP, MOTIVATION}
    assert readings_by_label(filled)[HEARD_ABOUT] == (None, "")


async def test_errors_returned_by_the_server_are_validation_errors(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        # Passes the page's own checks (not empty) but not the server's.
        assert await page_js.set_value(browser, "#email", "ada.lovelace@localhost")

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS
    assert result.detail == "Email is not a valid email address"
    assert job_site.submissions == [] and job_site.rejected_posts == 1


async def test_follows_the_apply_link_from_a_careers_page(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.careers_url)
        assert isinstance(adapter, GreenhouseAdapter)
        assert await page_js.current_url(browser) == job_site.posting_url


async def test_clicks_apply_when_the_posting_hides_its_form(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url + "?layout=collapsed")
        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

    assert filled.problems == []
    assert readings_by_label(filled)["First Name"] == ("Ada", "Ada")


async def test_opens_a_form_embedded_in_the_greenhouse_iframe(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.embedding_url)
        assert isinstance(adapter, GreenhouseAdapter)
        assert await page_js.current_url(browser) == job_site.embed_url


async def test_a_page_without_an_application_form_is_unsupported(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite
) -> None:
    async with open_browser(browser_options) as browser:
        with pytest.raises(UnsupportedForm, match="127.0.0.1 is not a job application form"):
            await open_application(browser, job_site.plain_url)
        with pytest.raises(UnsupportedForm):
            await detect_adapter(browser, job_site.plain_url)


def test_greenhouse_addresses_are_recognised_without_a_browser() -> None:
    assert GreenhouseAdapter.matches_url("https://job-boards.greenhouse.io/acme/jobs/4012345")
    assert GreenhouseAdapter.matches_url("https://boards.greenhouse.io/acme/jobs/4012345?gh_src=x")
    assert GreenhouseAdapter.matches_url("https://acme.example/careers?gh_jid=4012345")
    assert not GreenhouseAdapter.matches_url("https://jobs.lever.co/acme/1234")
