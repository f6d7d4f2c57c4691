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
from automation.adapters.profile_values import best_place, hispanic_answer, race_answer
from automation.browser import BrowserOptions, open_browser
from automation.questions import Question, QuestionKind, fit_answer
from storage.models import Eeo, Links, Profile
from tests.fakes.job_site import (
    ACKNOWLEDGEMENT,
    ACKNOWLEDGEMENT_ID,
    DECLINE_TO_SELF_IDENTIFY,
    DISABILITY,
    DISABILITY_VALUES,
    EEO_DECLINED,
    GENDER,
    GENDER_VALUES,
    HISPANIC,
    HISPANIC_VALUES,
    LOCATIONS,
    MOTIVATION,
    MOTIVATION_ID,
    OFFICES,
    OFFICES_ID,
    OTHER_ROLES,
    OTHER_ROLES_ID,
    RACE,
    RACE_VALUES,
    RELOCATE,
    RELOCATE_ID,
    SPONSORSHIP,
    SPONSORSHIP_ID,
    TEAM,
    TEAM_ID,
    VETERAN,
    VETERAN_VALUES,
    GreenhouseJobSite,
)
from tests.plugins.browser import PNG_SIGNATURE, readings_by_label

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

HEARD_ABOUT = "How did you hear about this job?"
INTERESTING = "What is the most interesting system you have built?"
WHY_ACME = "Reusable rockets that launch on schedule."
LONDON = "London, England, United Kingdom"
NOT_A_VETERAN = "I am not a protected veteran"
DECLINED_READINGS = {
    GENDER: (DECLINE_TO_SELF_IDENTIFY,) * 2,
    HISPANIC: (DECLINE_TO_SELF_IDENTIFY,) * 2,
    VETERAN: ("I don't wish to answer",) * 2,
    DISABILITY: ("I do not want to answer",) * 2,
}


def fitted(text: str, question: Question) -> str:
    """`fit_answer` for a text that fits the question."""
    answer = fit_answer(text, question)
    assert answer is not None, (text, question.label)
    return answer


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
            TEAM: "flight software",
            RELOCATE: "Yes, happy to",
            OFFICES: "london; remote",
        },
    )


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
            "Country": ("United Kingdom +44", "United Kingdom +44"),
            "Phone": ("+44 20 7946 0958", "+44 20 7946 0958"),
            "Location (City)": (LONDON, LONDON),
            "Resume/CV": ("Ada Lovelace CV.pdf", "Ada Lovelace CV.pdf"),
            "Cover Letter": (None, ""),
            "LinkedIn Profile": ("https://www.linkedin.com/in/ada-lovelace",) * 2,
            "GitHub URL": ("https://github.com/ada",) * 2,
            HEARD_ABOUT: ("A friend at the Analytical Engine Society",) * 2,
            INTERESTING: (None, ""),
            SPONSORSHIP: ("No", "No"),
            MOTIVATION: (WHY_ACME, WHY_ACME),
            TEAM: ("Flight Software", "Flight Software"),
            RELOCATE: ("Yes", "Yes"),
            OFFICES: ("London, Remote", "London, Remote"),
            OTHER_ROLES: (None, ""),
            ACKNOWLEDGEMENT: ("Yes", "Yes"),
            **DECLINED_READINGS,
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
        "country": "GB",
        "phone": "+44 20 7946 0958",
        "candidate-location": LONDON,
        "question_30215431002": "https://www.linkedin.com/in/ada-lovelace",
        "question_30215434002": "https://github.com/ada",
        "question_30215432002": "A friend at the Analytical Engine Society",
        SPONSORSHIP_ID: "0",
        MOTIVATION_ID: WHY_ACME,
        TEAM_ID: "7002",
        RELOCATE_ID: "1",
        OFFICES_ID: ["4102", "4104"],
        ACKNOWLEDGEMENT_ID: "1",
        **EEO_DECLINED,
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
    assert "Location (City) is required" not in result.detail
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
    # The country still comes from the number's calling code.
    assert readings_by_label(filled)["Country"] == ("United Kingdom +44", "United Kingdom +44")


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
        with pytest.raises(UnsupportedForm, match=r"127.0.0.1 is not a job application form"):
            await open_application(browser, job_site.plain_url)
        with pytest.raises(UnsupportedForm):
            await detect_adapter(browser, job_site.plain_url)


def test_greenhouse_addresses_are_recognised_without_a_browser() -> None:
    assert GreenhouseAdapter.matches_url("https://job-boards.greenhouse.io/acme/jobs/4012345")
    assert GreenhouseAdapter.matches_url("https://boards.greenhouse.io/acme/jobs/4012345?gh_src=x")
    assert GreenhouseAdapter.matches_url("https://acme.example/careers?gh_jid=4012345")
    assert not GreenhouseAdapter.matches_url("https://jobs.lever.co/acme/1234")


async def test_open_questions_of_every_kind_are_asked_and_answered(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    only_required = profile.model_copy(update={"answers": {SPONSORSHIP: "No", MOTIVATION: WHY_ACME}})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        await adapter.fill(browser, only_required, ApplicantFiles(resume=resume))

        questions = await adapter.questions(browser)
        assert [(q.key, q.label, q.kind, q.options, q.required) for q in questions] == [
            ("#question_30215432002", HEARD_ABOUT, QuestionKind.TEXT, (), False),
            ("#question_30215433002", INTERESTING, QuestionKind.TEXTAREA, (), False),
            (
                f"#{TEAM_ID}",
                TEAM,
                QuestionKind.SELECT,
                ("Launch Scheduling", "Flight Software", "Ground Systems"),
                False,
            ),
            (f'input[name="{RELOCATE_ID}"]', RELOCATE, QuestionKind.RADIO, ("Yes", "No"), False),
            (
                'input[name="question_30215438002\\[\\]"]',
                OFFICES,
                QuestionKind.CHECKBOX,
                ("Berlin", "London", "Lisbon", "Remote"),
                False,
            ),
            (f'input[name="{OTHER_ROLES_ID}"]', OTHER_ROLES, QuestionKind.CHECKBOX, (), False),
        ]
        by_label = {question.label: question for question in questions}
        # Answers as automation/answers.py shapes them for each kind.
        answers = {
            by_label[TEAM].id: fitted("ground systems", by_label[TEAM]),
            by_label[RELOCATE].id: fitted("no, I would not", by_label[RELOCATE]),
            by_label[OFFICES].id: fitted("Berlin; lisbon", by_label[OFFICES]),
            by_label[OTHER_ROLES].id: fitted("yes please", by_label[OTHER_ROLES]),
        }
        assert answers[by_label[OFFICES].id] == "Berlin, Lisbon"
        await adapter.answer(browser, answers)
        filled = await adapter.read_back(browser)
        assert await adapter.questions(browser) == [questions[0], questions[1]]

        result = await adapter.submit(browser)

    readings = readings_by_label(filled)
    assert readings[TEAM] == ("Ground Systems", "Ground Systems")
    assert readings[RELOCATE] == ("No", "No")
    assert readings[OFFICES] == ("Berlin, Lisbon", "Berlin, Lisbon")
    assert readings[OTHER_ROLES] == ("Yes", "Yes")
    assert filled.problems == []
    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await job_site.wait_for_submission(timeout=10)
    assert submission.fields[TEAM_ID] == "7003"
    assert submission.fields[RELOCATE_ID] == "0"
    assert submission.fields[OFFICES_ID] == ["4101", "4103"]
    assert submission.fields[OTHER_ROLES_ID] == "1"
    assert submission.fields[ACKNOWLEDGEMENT_ID] == "1"


async def test_corrections_change_the_phone_country_and_location(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    national = profile.model_copy(update={"phone": "0151 496 0123", "location": "Lisbon, Portugal"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        filled = await adapter.fill(browser, national, ApplicantFiles(resume=resume))
        # No calling code: the country comes from the location.
        assert readings_by_label(filled)["Country"] == ("Portugal +351", "Portugal +351")
        assert readings_by_label(filled)["Location (City)"] == ("Lisbon, Portugal",) * 2

        phone, location = filled.find("Phone"), filled.find("Location (City)")
        await adapter.answer(browser, {phone.selector: "+1 415 555 0100", location.selector: "berlin, usa"})
        corrected = await adapter.read_back(browser)
        assert readings_by_label(corrected)["Country"] == ("United States +1", "United States +1")
        assert readings_by_label(corrected)["Phone"] == ("+1 415 555 0100", "+1 415 555 0100")
        assert readings_by_label(corrected)["Location (City)"] == ("Berlin, New Hampshire, United States",) * 2
        assert corrected.problems == []

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await job_site.wait_for_submission(timeout=10)
    assert (submission.fields["country"], submission.fields["phone"]) == ("US", "+1 415 555 0100")
    assert submission.fields["candidate-location"] == "Berlin, New Hampshire, United States"


async def test_a_location_with_no_suggestion_stays_empty_and_is_a_problem(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile
) -> None:
    nowhere = profile.model_copy(update={"location": "Atlantis, Ocean"})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        filled = await adapter.fill(browser, nowhere, ApplicantFiles(resume=None))

    assert readings_by_label(filled)["Location (City)"] == ("Atlantis, Ocean", "")
    assert "Location (City)" in {field.label for field in filled.problems}


def test_the_suggested_place_is_the_one_the_location_means() -> None:
    londons = [place for place in LOCATIONS if place.startswith("London")]

    def suggested(location: str) -> str:
        index = best_place(location, londons)
        assert index is not None, location
        return londons[index]

    assert suggested("London, UK") == LONDON
    assert suggested("London, Ontario") == "London, Ontario, Canada"
    assert suggested("London, United Kingdom") == LONDON
    assert best_place("Paris, France", londons) is None


async def test_eeo_questions_are_answered_from_the_profile(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    identified = profile.model_copy(
        update={"eeo": Eeo(gender="female", race="Asian", veteran="not a protected veteran", disability="decline")}
    )
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        filled = await adapter.fill(browser, identified, ApplicantFiles(resume=resume))

        readings = readings_by_label(filled)
        assert [label for label in readings if label in (GENDER, HISPANIC, RACE, VETERAN, DISABILITY)] == [
            GENDER,
            HISPANIC,
            RACE,
            VETERAN,
            DISABILITY,
        ]  # the race question shows after "No", in page order
        assert {label: readings[label] for label in (GENDER, HISPANIC, RACE, VETERAN, DISABILITY)} == {
            GENDER: ("Female", "Female"),
            HISPANIC: ("No", "No"),
            RACE: ("Asian", "Asian"),
            VETERAN: (NOT_A_VETERAN, NOT_A_VETERAN),
            DISABILITY: ("I do not want to answer",) * 2,
        }
        assert filled.problems == []
        assert [question.label for question in await adapter.questions(browser)] == [INTERESTING, OTHER_ROLES]

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await job_site.wait_for_submission(timeout=10)
    assert {
        name: submission.fields.get(name)
        for name in ("gender", "hispanic_ethnicity", "race", "veteran_status", "disability_status")
    } == {
        "gender": GENDER_VALUES["Female"],
        "hispanic_ethnicity": HISPANIC_VALUES["No"],
        "race": RACE_VALUES["Asian"],
        "veteran_status": VETERAN_VALUES[NOT_A_VETERAN],
        "disability_status": DISABILITY_VALUES["I do not want to answer"],
    }


async def test_an_eeo_answer_no_option_says_stays_empty_and_shows_in_the_review(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    unlisted = profile.model_copy(update={"eeo": Eeo(gender="Non-binary")})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        filled = await adapter.fill(browser, unlisted, ApplicantFiles(resume=resume))

        assert readings_by_label(filled)[GENDER] == ("Non-binary", "")
        assert [field.label for field in filled.problems] == [GENDER]
        assert GENDER not in {question.label for question in await adapter.questions(browser)}
        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await job_site.wait_for_submission(timeout=10)
    assert "gender" not in submission.fields
    assert submission.fields["hispanic_ethnicity"] == DECLINE_TO_SELF_IDENTIFY


async def test_a_hispanic_correction_hides_the_race_question_and_its_answer(
    browser_options: BrowserOptions, job_site: GreenhouseJobSite, profile: Profile, resume: Path
) -> None:
    identified = profile.model_copy(update={"eeo": Eeo(race="White")})
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, job_site.posting_url)
        filled = await adapter.fill(browser, identified, ApplicantFiles(resume=resume))
        assert readings_by_label(filled)[RACE] == ("White", "White")

        await adapter.answer(browser, {filled.find(HISPANIC).selector: "yes"})
        corrected = await adapter.read_back(browser)
        assert readings_by_label(corrected)[HISPANIC] == ("Yes", "Yes")
        assert corrected.find(RACE) is None
        assert corrected.problems == []

        await adapter.answer(browser, {filled.find(HISPANIC).selector: "No"})
        again = await adapter.read_back(browser)
        assert readings_by_label(again)[RACE] == ("White", "White"), "shown again, filled from the profile again"

        result = await adapter.submit(browser)

    assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
    submission = await job_site.wait_for_submission(timeout=10)
    assert (submission.fields["hispanic_ethnicity"], submission.fields["race"]) == ("No", RACE_VALUES["White"])


def test_the_profile_race_answers_the_hispanic_question_and_then_the_race_question() -> None:
    hispanic, races = list(HISPANIC_VALUES), list(RACE_VALUES)

    def answers(race: str) -> tuple[str | None, str | None]:
        eeo_profile = Profile(first_name="Ada", last_name="Lovelace", email="ada@example.org", eeo=Eeo(race=race))
        return hispanic_answer(hispanic, eeo_profile), race_answer(races, eeo_profile)

    assert answers("decline") == (DECLINE_TO_SELF_IDENTIFY, DECLINE_TO_SELF_IDENTIFY)
    assert answers("Hispanic or Latino")[0] == "Yes"
    assert answers("White (Not Hispanic or Latino)") == ("No", "White")
    assert answers("non-Hispanic, black or african american") == ("No", "Black or African American")
    assert answers("two or more races") == ("No", "Two or More Races")
    assert answers("Martian") == ("No", "Martian")  # no option says it: the review shows the difference
